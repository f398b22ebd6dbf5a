"""``wawai model quantize MANIFEST --footage FILE...``: a static INT8 copy of a detector and its manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from wawai.commands.common import CommandError, config_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="detector models")
    commands = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    quantize = commands.add_parser(
        "quantize",
        help="make a static INT8 model calibrated on your footage; writes NAME-int8.yaml beside the manifest",
    )
    quantize.add_argument("manifest", help="a manifest name in detector.model_dirs (yolox-nano) or its path")
    quantize.add_argument("--footage", nargs="+", type=Path, required=True, metavar="FILE",
                          help="clips from your cameras to calibrate on (frames spread evenly over them)")
    quantize.add_argument("--frames", type=int, default=60, help="calibration frames in all (default 60)")
    quantize.add_argument("--output-dir", type=Path, default=None,
                          help="where the INT8 model and manifest go (default: beside the manifest)")
    quantize.set_defaults(func=run_quantize)


def run_quantize(args: argparse.Namespace) -> int:
    # wawai is the wiring layer: commands may use the stage packages.
    from analytics.manifest import ModelError, load_manifest
    from analytics.quantize import quantize

    if not 1 <= args.frames <= 10_000:
        raise CommandError("--frames must be between 1 and 10000")
    for clip in args.footage:
        if not clip.is_file():
            raise CommandError(f"{clip}: no such file (--footage takes video files)")
    config = config_from(args)
    given = Path(args.manifest)
    try:
        if given.suffix in (".yaml", ".yml") and given.is_file():
            manifest = load_manifest(given.stem, [str(given.parent.resolve())], config.base_dir)
        else:
            manifest = load_manifest(args.manifest, [str(d) for d in config.model_dirs], config.base_dir)
        written = quantize(manifest, args.footage, frames=args.frames, out_dir=args.output_dir)
    except ModelError as exc:
        raise CommandError(str(exc)) from exc
    print(f"wrote {written} (set detector.model: {written.stem} to use it)")
    return 0
