"""The README's references stay complete: every config key and every CLI command is documented."""

from __future__ import annotations

import argparse
import types
import typing

from pydantic import BaseModel

from wawai.assets import REPO_ROOT
from wawai.cli import build_parser
from wawai.config.schema import CameraConfig, Rule, SiteConfig, Zone

README = (REPO_ROOT / "README.md").read_text()


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    found: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        # An optional section (``cluster: ClusterSection | None``) is documented key by key too.
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        members = typing.get_args(annotation) if union else (annotation,)
        models = [arg for arg in members if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if models:
            if annotation is not models[0]:
                found.append(f"{prefix}{name}")
            found += keys(models[0], f"{prefix}{name}.")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_site_and_camera_key_is_in_the_readme():
    missing = [key for key in keys(SiteConfig) + keys(CameraConfig) if f"`{key}`" not in README]
    assert missing == []


def test_every_zone_and_rule_key_is_in_the_readme():
    missing = [key for key in keys(Zone) + keys(Rule) if f"`{key}`" not in README]
    assert missing == []


def test_every_cli_command_is_in_the_readme():
    parser = build_parser()
    commands: list[str] = []

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{prefix} {name}")
                return
        commands.append(prefix)

    walk(parser, "wawai")
    missing = [command for command in commands if f"`{command}" not in README]
    assert missing == []


def test_quick_start_is_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines == ["./scripts/demo.sh", "./scripts/test.sh"]
