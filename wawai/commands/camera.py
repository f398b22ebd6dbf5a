"""``wawai camera probe URL [--json]``: what a stream is, or one clear line on why it cannot be read;
``wawai camera add``: see wawai/commands/camera_add.py."""

from __future__ import annotations

import argparse
import json
import sys

from wawai.commands.camera_add import add_parser


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("camera", help="camera tools")
    commands = parser.add_subparsers(dest="camera_command", metavar="ACTION", required=True)
    probe = commands.add_parser(
        "probe",
        help="show codec, profile, resolution, fps, keyframe interval, B-frames and audio of a stream",
    )
    probe.add_argument("url", help="rtsp://[user:password@]host[:port]/path, or a video file")
    probe.add_argument("--json", action="store_true", help="print one JSON object")
    probe.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for the camera (default 5)"
    )
    probe.add_argument(
        "--seconds", type=float, default=10.0, help="longest time to read the stream (default 10)"
    )
    probe.set_defaults(func=run_probe)
    add_parser(commands)


def run_probe(args: argparse.Namespace) -> int:
    # wawai is the wiring layer: commands may use the stage packages.
    from camera_ingest.probe import probe
    from camera_ingest.source import SourceError

    try:
        result = probe(args.url, timeout=args.timeout, seconds=args.seconds)
    except SourceError as exc:
        if args.json:
            print(json.dumps({"error": exc.reason}))
        else:
            print(f"wawai: {exc.reason}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print("\n".join(result.lines()))
    return 0
