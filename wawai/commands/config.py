"""``wawai config check [DIR]`` and ``wawai config schema [site|camera]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

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
                        help="site: wawai.yaml, camera: cameras/*.yaml (default: either)")
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
    print(json.dumps(config_schema(args.kind), indent=2))
    return 0


def config_schema(kind: str | None) -> dict[str, Any]:
    """One JSON Schema document: for a site file, a camera file, or (no kind) either of them."""
    if kind == "site":
        schema = SiteConfig.model_json_schema()
    elif kind == "camera":
        schema = CameraConfig.model_json_schema()
    else:
        refs, schema = models_json_schema(
            [(SiteConfig, "validation"), (CameraConfig, "validation")], title="Wawai config file"
        )
        schema["anyOf"] = list(refs.values())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
