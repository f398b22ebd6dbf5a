"""``wawai config check [DIR] [--against-running]``, ``wawai config show [--camera ID]`` and
``wawai config schema [site|camera]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from wawai.commands.common import CommandError, config_from
from wawai.config.diff import plan_reload
from wawai.config.effective import effective_config
from wawai.config.loader import load_config_and_errors
from wawai.config.reload import read_state, state_path
from wawai.config.schema import CameraConfig, SiteConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check or show the config, or print its JSON Schema")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = commands.add_parser("check", help="report every error as FILE:LINE: key: message")
    check.add_argument("directory", nargs="?", metavar="DIR", help="config directory (default: --config)")
    check.add_argument("--against-running", action="store_true",
                       help="also print what a reload with DIR would do to the running node (dry run)")
    check.add_argument("--state", metavar="FILE", type=Path,
                       help="the running node's state file (default: <storage.path>/config-state.json "
                            "of DIR's wawai.yaml)")
    check.add_argument("--json", action="store_true", help="with --against-running: print the plan as JSON")
    check.set_defaults(func=run_check)
    show = commands.add_parser("show", help="print the effective config (defaults applied, secrets redacted)")
    show.add_argument("--camera", metavar="ID", help="only this camera")
    show.set_defaults(func=run_show)
    schema = commands.add_parser("schema", help="print the JSON Schema (for editors)")
    schema.add_argument("kind", nargs="?", choices=["site", "camera"],
                        help="site: wawai.yaml, camera: cameras/*.yaml (default: either)")
    schema.set_defaults(func=run_schema)


def run_check(args: argparse.Namespace) -> int:
    directory = Path(args.directory or args.config)
    if args.against_running:
        return run_dry_run(directory, args.state, as_json=args.json)
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


def run_dry_run(directory: Path, state: Path | None, *, as_json: bool) -> int:
    """The plan a reload of ``directory`` would apply to the running node, from the node's state file.

    Exit 0: the files are valid (the plan may still list changes); 1: there are errors.
    """
    config, errors = load_config_and_errors(directory)
    if state is None:
        if config is None:
            raise CommandError(f"{directory}/wawai.yaml has errors, so its storage path is unknown; "
                               "give the state file with --state FILE")
        state = state_path(config)
    try:
        running = read_state(state)
    except FileNotFoundError:
        raise CommandError(f"no running node's state at {state} (is `wawai run` running with this "
                           "storage? else give --state FILE)") from None
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    plan = plan_reload(running, config, errors, directory)
    if as_json:
        print(json.dumps(plan.to_json()))
    else:
        print("\n".join(plan.lines()))
    return 1 if plan.errors else 0


def run_show(args: argparse.Namespace) -> int:
    config = config_from(args)
    try:
        shown = effective_config(config, args.camera)
    except KeyError:
        raise CommandError(f"no camera {args.camera!r} in {args.config}") from None
    print(json.dumps(shown, indent=2))
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
