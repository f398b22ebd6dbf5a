"""``wawai config check [DIR]`` and ``wawai config schema [site|camera]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wawai.config.loader import load_config_and_errors
from wawai.config.schema import CameraConfig, SiteConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check the config or print its JSON Schema")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = commands.add_parser("check", help="report every error as FILE:LINE: key: message")
    check.add_argument("directory", nargs="?", metavar="DIR", help="config directory (default: --config)")
    check.set_defaults(func=run_check)
    schema = commands.add_parser("schema", help="print the JSON Schema (for editors)")
    schema.add_argument("kind", nargs="?", choices=["site", "camera"],
                        help="site: wawai.yaml, camera: cameras/*.yaml (default: both)")
    schema.set_defaults(func=run_schema)


def run_check(args: argparse.Namespace) -> int:
    directory = Path(args.directory or args.config)
    config, errors = load_config_and_errors(directory)
    for error in errors:
        print(error)
    if errors or config is None:
        print(f"{len(errors)} error(s) in {directory}")
        return 1
    cameras = config.cameras.values()
    zones = sum(len(camera.zones) for camera in cameras)
    rules = sum(len(camera.rules) for camera in cameras)
    print(f"{directory}: OK: {len(config.cameras)} cameras, {zones} zones, {rules} rules")
    return 0


def run_schema(args: argparse.Namespace) -> int:
    schemas = {"site": SiteConfig.model_json_schema(), "camera": CameraConfig.model_json_schema()}
    print(json.dumps(schemas[args.kind] if args.kind else schemas, indent=2))
    return 0
