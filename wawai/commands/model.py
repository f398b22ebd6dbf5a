"""``wawai model fetch NAME [--from DIR]`` and ``wawai model quantize MANIFEST --footage FILE...``.

fetch: a mirror is tried first (``--from DIR``, then ``$WAWAI_ASSETS/models`` and
``../shared/assets/models``), then the upstream URL in the manifest; the file is stored in the first of
``detector.model_dirs`` after its SHA-256 matched.
quantize: a static INT8 copy of a detector calibrated on the user's footage, with its own manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wawai.commands.common import CommandError, config_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="detector models")
    commands = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    fetch = commands.add_parser(
        "fetch", help="get a model's weights (mirror first, else its upstream URL), checked by SHA-256"
    )
    fetch.add_argument("name", help="a manifest name in detector.model_dirs or models/ (e.g. yolox-nano)")
    fetch.add_argument("--from", dest="from_dirs", metavar="DIR", action="append", default=[],
                       help="a folder holding the weights file (tried before the shared mirrors)")
    fetch.add_argument("--timeout", type=float, default=30.0,
                       help="seconds to wait for the network before giving up (default 30)")
    fetch.set_defaults(func=run_fetch)
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


def run_fetch(args: argparse.Namespace) -> int:
    # wawai is the wiring layer: commands may use the stage packages.
    from analytics.model_fetch import FetchError, fetch_model, mirror_dirs

    config = config_from(args)
    model_dirs = [str(d) for d in config.model_dirs]
    mirrors = mirror_dirs(Path(d) for d in args.from_dirs)
    try:
        fetched = fetch_model(args.name, model_dirs, config.base_dir, mirrors=mirrors, timeout=args.timeout)
    except FetchError as exc:
        raise CommandError(
            f"model fetch {args.name}: {exc}. With a copy of the file: "
            f"`wawai model fetch {args.name} --from DIR`"
        ) from exc
    print(f"{fetched.spec.name}: {fetched.path} ({fetched.source}), sha256 {fetched.sha256}")
    licence = fetched.spec.license or "not named in the manifest; check the model's release page"
    print(f"licence: {licence} (keep it with any copy of the file)")
    return 0


def run_quantize(args: argparse.Namespace) -> int:
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
