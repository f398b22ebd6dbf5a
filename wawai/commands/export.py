"""``wawai export CAMERA --start T --end T -o FILE``: a recorded range as one MP4, plus FILE.sha256.

Works without a running node: it reads the recording index and the segment files directly. Every export
is written to the audit log (who, camera, range, hash).
"""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import shutil
import tempfile
from pathlib import Path

from wawai import audit
from wawai.commands.common import config_from, database, fail
from wawai.recordings import NothingRecorded, parse_time

MAX_SECONDS = 24 * 3600


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export a recorded range of a camera as MP4 + SHA-256")
    parser.add_argument("camera", help="camera id")
    parser.add_argument("--start", required=True, help="ISO-8601 time (UTC if no zone) or epoch seconds")
    parser.add_argument("--end", required=True, help="ISO-8601 time (UTC if no zone) or epoch seconds")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the MP4 file to write")
    parser.add_argument("--user", default=None, help="who exports, for the audit log (default: OS user)")
    parser.add_argument("--force", action="store_true", help="replace FILE and FILE.sha256 if they exist")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        start, end = parse_time(args.start), parse_time(args.end)
    except ValueError as exc:
        return fail(str(exc))
    if end <= start:
        return fail("--end must be after --start")
    if end - start > MAX_SECONDS:
        return fail(f"a clip is at most {MAX_SECONDS // 3600} hours; export longer ranges in parts")
    output: Path = args.output
    checksum = output.with_name(output.name + ".sha256")
    refused = _refuse_output(output, checksum, args.force)
    if refused:
        return fail(refused)
    config = config_from(args)
    if args.camera not in config.cameras:
        known = ", ".join(sorted(config.cameras)) or "none"
        return fail(f"no camera {args.camera!r} in {args.config} (known: {known})")
    sessions = database(config)
    # The recorder's own joiner (stream copy); imported here because no node (and no ctx) is running.
    from recorder.service import RecordingsService

    service = RecordingsService(config.storage_path, sessions)
    # Everything is written inside a folder this command creates (mkdtemp: new, 0700, nobody can
    # plant a link in it), then put in place without following or overwriting what is there.
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".wawai-export-", dir=output.parent))
    except OSError as exc:
        return fail(f"cannot write in {output.parent}: {exc.strerror or exc}")
    try:
        try:
            result = service.export_clip(args.camera, start, end, work / output.name)
        except NothingRecorded:
            return fail(f"nothing recorded for {args.camera} between {args.start} and {args.end}")
        (work / checksum.name).write_text(f"{result.sha256}  {output.name}\n")
        try:
            _place(work / output.name, output, args.force)
            _place(work / checksum.name, checksum, args.force)
        except FileExistsError:
            return fail(f"{output} or its .sha256 appeared meanwhile; use --force to replace them")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    user = args.user or f"cli:{getpass.getuser()}"
    with sessions() as session:
        audit.record(session, user, "recording.export", camera_id=args.camera, start=start, end=end,
                     clip_start=result.start, clip_end=result.end, sha256=result.sha256,
                     file=str(output), via="cli")
        session.commit()
    print(f"{output} {result.duration:.1f} s {result.bytes} bytes sha256 {result.sha256}")
    return 0


def _refuse_output(output: Path, checksum: Path, force: bool) -> str | None:
    """Why ``-o`` cannot be written, in one line, before any work (None: it can)."""
    if output.is_dir() and not output.is_symlink():
        return f"{output} is a folder; give a file name, e.g. -o {output / 'clip.mp4'}"
    if not force:
        for target in (output, checksum):
            if target.exists() or target.is_symlink():
                return f"{target} already exists; use --force to replace it"
    return None


def _place(made: Path, target: Path, force: bool) -> None:
    """Move ``made`` to ``target`` atomically. Without ``force`` a hard link, which fails on anything
    already there (a planted symlink included); with it a rename, which replaces a link itself
    instead of writing through it."""
    if force:
        if target.is_dir() and not target.is_symlink():
            raise FileExistsError(errno.EEXIST, "a folder is in the way", str(target))
        os.replace(made, target)
        return
    os.link(made, target, follow_symlinks=False)
    made.unlink()
