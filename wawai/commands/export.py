"""``wawai export CAMERA --start T --end T -o FILE``: a recorded range as one MP4, plus FILE.sha256.

Works without a running node: it reads the recording index and the segment files directly. Every export
is written to the audit log (who, camera, range, hash).
"""

from __future__ import annotations

import argparse
import getpass
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
    config = config_from(args)
    if args.camera not in config.cameras:
        known = ", ".join(sorted(config.cameras)) or "none"
        return fail(f"no camera {args.camera!r} in {args.config} (known: {known})")
    sessions = database(config)
    # The recorder's own joiner (stream copy); imported here because no node (and no ctx) is running.
    from recorder.service import RecordingsService

    service = RecordingsService(config.storage_path, sessions)
    try:
        result = service.export_clip(args.camera, start, end, args.output)
    except NothingRecorded:
        return fail(f"nothing recorded for {args.camera} between {args.start} and {args.end}")
    checksum = args.output.with_name(args.output.name + ".sha256")
    checksum.write_text(f"{result.sha256}  {args.output.name}\n")
    user = args.user or f"cli:{getpass.getuser()}"
    with sessions() as session:
        audit.record(session, user, "recording.export", camera_id=args.camera, start=start, end=end,
                     clip_start=result.start, clip_end=result.end, sha256=result.sha256,
                     file=str(args.output), via="cli")
        session.commit()
    print(f"{args.output} {result.duration:.1f} s {result.bytes} bytes sha256 {result.sha256}")
    return 0
