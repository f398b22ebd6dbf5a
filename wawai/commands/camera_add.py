"""``wawai camera add ID --url URL [--sub URL] [--name NAME] [--group G] [--force] [--offline]``.

Probes the streams (ingest's probe), writes ``cameras/ID.yaml`` with what was found as comments, and
moves a password in a URL to a ``${VAR}`` reference: it prints the variable to set, never the password.
Registered by ``wawai.commands.camera`` under ``wawai camera``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from wawai.commands.common import CommandError
from wawai.config.loader import CAMERA_DIR, load_config_and_errors
from wawai.config.onboard import SafeUrl, camera_text, password_variable, without_password
from wawai.config.schema import CAMERA_ID

if TYPE_CHECKING:
    from camera_ingest.probe import ProbeResult


def add_parser(commands: argparse._SubParsersAction) -> None:
    add = commands.add_parser("add", help="probe a camera and write cameras/ID.yaml for it")
    add.add_argument("id", help="camera id: lower-case letters, digits and '-'")
    add.add_argument("--url", required=True, help="main stream: rtsp://[user:password@]host[:port]/path")
    add.add_argument("--sub", help="sub stream (lower resolution, used for analytics)")
    add.add_argument("--name", help="shown in the UI (default: the id)")
    add.add_argument("--group", help="camera group (default: default)")
    add.add_argument("--force", action="store_true", help="overwrite an existing cameras/ID.yaml")
    add.add_argument("--offline", action="store_true",
                     help="write the file even if the camera cannot be reached")
    add.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the camera (default 5)")
    add.set_defaults(func=run_add)


def _describe(facts: ProbeResult) -> str:
    keyframes = f"keyframe every {facts.keyframe_interval:g} s" if facts.keyframe_interval else \
        "keyframe interval unknown"
    fps = f"{facts.fps:g} fps" if facts.fps else "fps unknown"
    b_frames = "yes" if facts.b_frames else "no"
    return (f"{facts.codec} ({facts.profile or 'profile unknown'}), {facts.width}x{facts.height}, {fps}, "
            f"{keyframes}, B-frames: {b_frames}, audio: {facts.audio_codec or 'none'}")


def _probe(stream: str, url: str, args: argparse.Namespace) -> str:
    # wawai is the wiring layer: commands may use the stage packages.
    from camera_ingest.probe import probe
    from camera_ingest.source import SourceError

    try:
        return f"{stream}: {_describe(probe(url, timeout=args.timeout, seconds=10.0))}"
    except SourceError as exc:
        if not args.offline:
            raise CommandError(f"{stream} stream: {exc.reason} (use --offline to add it anyway)") from None
        return f"{stream}: not probed ({exc.reason})"


def run_add(args: argparse.Namespace) -> int:
    camera_id: str = args.id
    if not CAMERA_ID.match(camera_id):
        raise CommandError(f"camera id {camera_id!r} must match [a-z0-9-]+ (lower-case letters, digits, '-')")
    directory = Path(args.config)
    target = directory / CAMERA_DIR / f"{camera_id}.yaml"
    if target.exists() and not args.force:
        raise CommandError(f"{target} exists; use --force to overwrite it")
    config, _errors = load_config_and_errors(directory)
    if config is not None and camera_id in config.sources and \
            config.sources[camera_id].resolve() != target.resolve() and not args.force:
        raise CommandError(f"camera id {camera_id!r} is already used by {config.sources[camera_id]}")

    urls = {"main": args.url, **({"sub": args.sub} if args.sub else {})}
    safe: dict[str, SafeUrl] = {}
    for stream, url in urls.items():
        found = without_password(url, password_variable(camera_id))
        main = safe.get("main")
        if main is not None and found.password is not None and found.password != main.password:
            found = without_password(url, password_variable(camera_id, stream))  # a password of its own
        safe[stream] = found
    facts = [_probe(stream, url, args) for stream, url in urls.items()]
    variables = sorted({s.variable for s in safe.values() if s.variable})
    comments = [f"written by `wawai camera add` on {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
                *facts, *(f"password from the environment: export {v}=..." for v in variables)]
    try:
        text = camera_text(camera_id, {k: v.url for k, v in safe.items()}, name=args.name, group=args.group,
                           comments=comments)
    except ValueError as exc:
        raise CommandError(f"cannot write {target}: {str(exc).splitlines()[-1].strip()}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")  # whole file or nothing: the node watches this folder
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    print(f"wrote {target}")
    for line in facts:
        print(f"  {line}")
    for variable in variables:
        print(f"set {variable} to the camera's password (export {variable}=...) where wawai runs; "
              "the file does not hold it")
    return 0
