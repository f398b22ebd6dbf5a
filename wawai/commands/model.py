"""``wawai model fetch NAME [--from DIR]``: get a detector's weights, checked against its manifest.

A mirror is tried first (``--from DIR``, then ``$WAWAI_ASSETS/models`` and ``../shared/assets/models``),
then the upstream URL in the manifest. The file is stored in the first of ``detector.model_dirs``.
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
