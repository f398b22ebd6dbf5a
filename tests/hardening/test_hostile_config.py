"""Hostile and careless camera files: each is left out with one line while the good cameras load.

The inputs are the ones from issue 17: a 4 kB alias bomb, a binary file, a 50 MB file, deep nesting, a
link to a shadow-like file outside the config folder, and YAML 1.1's ``off`` / ``on`` / ``22:00``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.support.app_fixtures import SAMPLE_VIDEO, write_config
from wawai.assets import find_asset
from wawai.config.errors import ConfigError
from wawai.config.loader import check_config, load_config, load_config_and_errors

VIDEO = find_asset(SAMPLE_VIDEO) or Path("/nonexistent/vtest.mp4")
OTHER_VIDEO = find_asset("video/vtest_640x480_h264.mp4") or Path("/nonexistent/vtest-long.mp4")
GOOD = {  # two files, so `wawai run` opens two streams (one URL is opened once, for its first camera)
    "good-a.yaml": f"name: Good A\nstreams: {{main: {VIDEO}, loop: true}}\n",
    "good-b.yaml": f"name: Good B\nstreams: {{main: {OTHER_VIDEO}, loop: true}}\n",
}
SHADOW = (
    "root:$6$Qx9hidden$Zk3Lr0ot5ecretHashValueThatMustNeverBeLogged:19700:0:99999:7:::\n"
    "daemon:*:19700:0:99999:7:::\n"
    "operator:$6$pepper$An0therSecretHash:19700:0:99999:7:::\n"
)


def alias_bomb() -> str:
    """Nine anchors, each a list of nine aliases of the one before, used in streams.main (9^9 strings)."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    lines.append("streams:")
    lines.append("  main: *a8")
    return "\n".join(lines) + "\n"


def config_with(tmp_path: Path, **hostile: str | bytes) -> Path:
    directory = write_config(tmp_path, cameras=dict(GOOD))
    for name, content in hostile.items():
        target = directory / "cameras" / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return directory


def errors_for(errors: list[ConfigError], name: str) -> list[ConfigError]:
    return [error for error in errors if error.file.name == name]


def assert_left_out_in_one_line(directory: Path, name: str, expected: str) -> ConfigError:
    config, errors = load_config_and_errors(directory)
    assert config is not None
    assert sorted(config.cameras) == ["good-a", "good-b"]
    mine = errors_for(errors, name)
    assert len(mine) == 1, [str(error) for error in mine]
    assert "\n" not in str(mine[0])
    assert expected in mine[0].message, str(mine[0])
    return mine[0]


@pytest.mark.timeout(60)  # a liveness bound only: before the fix the bomb grew past 3 GB
def test_alias_bomb_is_refused_and_the_good_cameras_load(tmp_path):
    bomb = alias_bomb()
    assert len(bomb.encode()) < 4096
    directory = config_with(tmp_path, **{"bomb.yaml": bomb})
    error = assert_left_out_in_one_line(directory, "bomb.yaml", "aliases (*name) expand to more than")
    assert error.line == 1


def test_a_few_aliases_still_work(tmp_path):
    camera = f"""\
zones:
  - {{name: gate, polygon: &square [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]}}
  - {{name: yard, polygon: *square}}
streams: {{main: {VIDEO}}}
"""
    directory = config_with(tmp_path, **{"aliased.yaml": camera})
    config = load_config(directory)
    assert [zone.name for zone in config.cameras["aliased"].zones] == ["gate", "yard"]


def test_an_alias_inside_itself_is_refused(tmp_path):
    directory = config_with(tmp_path, **{"loop.yaml": "zones: &z [*z]\nstreams: {main: x.mp4}\n"})
    assert_left_out_in_one_line(directory, "loop.yaml", "refers to the value that contains it")


def test_binary_file_is_refused(tmp_path):
    binary = bytes(range(256)) * 16  # not UTF-8 from byte 0x80 on
    directory = config_with(tmp_path, **{"binary.yaml": binary})
    assert_left_out_in_one_line(directory, "binary.yaml", "not UTF-8 text")


def test_control_characters_are_refused_without_quoting_the_file(tmp_path):
    directory = config_with(tmp_path, **{"nul.yaml": "name: ab\x00cd\nstreams: {main: x.mp4}\n"})
    error = assert_left_out_in_one_line(directory, "nul.yaml", "character YAML does not allow")
    assert "ab" not in error.message


def test_50_mb_file_is_refused_without_parsing_it(tmp_path):
    directory = config_with(tmp_path)
    big = directory / "cameras" / "big.yaml"
    with big.open("wb") as handle:
        handle.write(f"name: Big\nstreams: {{main: {VIDEO}}}\n".encode())
        handle.write(b"# padding\n" * (5 * 1024 * 1024))  # 50 MB of comments, valid YAML
    assert big.stat().st_size > 50_000_000
    assert_left_out_in_one_line(directory, "big.yaml", "larger than 1 MiB")


def test_deep_nesting_is_refused(tmp_path):
    deep = "streams: {main: x.mp4}\nzones: " + "[" * 10_000 + "]" * 10_000 + "\n"
    directory = config_with(tmp_path, **{"deep.yaml": deep})
    error = assert_left_out_in_one_line(directory, "deep.yaml", "nested more than 64 levels")
    assert error.line == 2


def test_deep_nesting_through_aliases_is_refused(tmp_path):
    # Each anchor nests 40 levels inside the one before: shallow on the page, 320 levels in the data.
    lines = ["a0: &a0 1"]
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} " + "[" * 40 + f"*a{level - 1}" + "]" * 40)
    lines.append("streams: {main: x.mp4}")
    directory = config_with(tmp_path, **{"deeper.yaml": "\n".join(lines) + "\n"})
    assert_left_out_in_one_line(directory, "deeper.yaml", "nested more than 64 levels")


def test_huge_numbers_and_bad_tags_are_one_line_errors(tmp_path):
    directory = config_with(tmp_path, **{
        "digits.yaml": f"streams: {{main: x.mp4, stall_seconds: {'9' * 5000}}}\n",
        "date.yaml": "name: !!timestamp 2026-02-30\nstreams: {main: x.mp4}\n",
        "python.yaml": "name: !!python/object/apply:os.system [id]\nstreams: {main: x.mp4}\n",
    })
    config, errors = load_config_and_errors(directory)
    assert config is not None and sorted(config.cameras) == ["good-a", "good-b"]
    for name in ("digits.yaml", "date.yaml", "python.yaml"):
        mine = errors_for(errors, name)
        assert len(mine) == 1 and "\n" not in str(mine[0]), [str(error) for error in mine]


def test_fifo_is_refused_without_hanging(tmp_path):
    directory = config_with(tmp_path)
    os.mkfifo(directory / "cameras" / "pipe.yaml")
    (directory / "cameras" / "pipe-link.yaml").symlink_to(directory / "cameras" / "pipe.yaml")
    assert_left_out_in_one_line(directory, "pipe-link.yaml", "not a regular file")


# --- links ---------------------------------------------------------------------------------------


def test_link_to_a_file_outside_the_config_folder_is_refused_without_its_content(tmp_path, caplog):
    outside = tmp_path / "etc"
    outside.mkdir()
    shadow = outside / "shadow"
    shadow.write_text(SHADOW)
    directory = config_with(tmp_path)
    (directory / "cameras" / "x.yaml").symlink_to(shadow)
    with caplog.at_level(logging.DEBUG):
        error = assert_left_out_in_one_line(directory, "x.yaml", "link to a file outside the config folder")
        load_config(directory)
    said = str(error) + caplog.text
    for secret in ("Qx9hidden", "r0ot5ecret", "pepper", "daemon", "19700"):
        assert secret not in said


def test_shadow_like_content_inside_the_folder_is_not_quoted(tmp_path, caplog):
    directory = config_with(tmp_path, **{"pasted.yaml": SHADOW})
    with caplog.at_level(logging.DEBUG):
        errors = check_config(directory)
        load_config(directory)
    said = "\n".join(str(error) for error in errors) + caplog.text
    assert errors_for(errors, "pasted.yaml")
    for secret in ("Qx9hidden", "r0ot5ecret", "pepper", "19700"):
        assert secret not in said


def test_links_inside_the_config_folder_still_work(tmp_path):
    directory = config_with(tmp_path)
    shared = directory / "shared"
    shared.mkdir()
    (shared / "lobby.yaml").write_text(f"name: Lobby\nstreams: {{main: {VIDEO}}}\n")
    (directory / "cameras" / "lobby.yaml").symlink_to(shared / "lobby.yaml")
    config, errors = load_config_and_errors(directory)
    assert config is not None and "lobby" in config.cameras and not errors


def test_dangling_link_is_one_line(tmp_path):
    directory = config_with(tmp_path)
    (directory / "cameras" / "gone.yaml").symlink_to(directory / "cameras" / "missing-target.yaml")
    (directory / "cameras" / "loop.yaml").symlink_to(directory / "cameras" / "loop.yaml")
    config, errors = load_config_and_errors(directory)
    assert config is not None and sorted(config.cameras) == ["good-a", "good-b"]
    for name in ("gone.yaml", "loop.yaml"):
        mine = errors_for(errors, name)
        assert len(mine) == 1 and "\n" not in str(mine[0]), [str(error) for error in mine]


# --- YAML 1.1 traps ------------------------------------------------------------------------------


def test_what_the_user_wrote_is_what_the_model_sees(tmp_path):
    camera = f"""\
name: 22:00
group: on
streams: {{main: {VIDEO}, loop: yes}}
detect: {{enabled: no}}
record: {{mode: off}}
zones:
  - {{name: gate, polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]}}
rules:
  - {{name: night, type: intrusion, zone: gate, schedule: 22:00-05:00}}
"""
    directory = config_with(tmp_path, **{"lobby.yaml": camera})
    config, errors = load_config_and_errors(directory)
    assert not errors, [str(error) for error in errors]
    assert config is not None
    lobby = config.cameras["lobby"]
    assert lobby.name == "22:00" and lobby.group == "on"
    assert lobby.record.mode == "off" and lobby.detect.enabled is False and lobby.streams.loop is True
    assert lobby.rules[0].schedule == "22:00-05:00"


def test_site_defaults_record_mode_off_as_the_readme_writes_it(tmp_path):
    directory = config_with(tmp_path)
    site = directory / "wawai.yaml"
    site.write_text(site.read_text() + "defaults: {record: {mode: off}}\n")
    assert load_config(directory).site.defaults.record.mode == "off"


def test_a_still_wrong_value_says_what_was_read_and_how_to_write_it(tmp_path):
    directory = config_with(tmp_path, **{
        "numbered.yaml": f"name: 0123\nstreams: {{main: {VIDEO}}}\n",
        "boolean.yaml": f"streams: {{main: {VIDEO}}}\nrecord: {{mode: false}}\n",
    })
    errors = check_config(directory)
    (numbered,) = errors_for(errors, "numbered.yaml")
    assert numbered.key == "name" and numbered.line == 1
    assert 'YAML read 0123 here as a number; to mean the text, write it in quotes: "0123"' in numbered.message
    (boolean,) = errors_for(errors, "boolean.yaml")
    assert boolean.key == "record.mode"
    assert 'YAML read false here as a boolean' in boolean.message and '"false"' in boolean.message


def test_nan_and_infinity_are_refused_in_config(tmp_path):
    directory = config_with(tmp_path, **{
        "nan.yaml": f"streams: {{main: {VIDEO}, stall_seconds: .nan}}\n",
        "inf.yaml": f"streams: {{main: {VIDEO}}}\nrecord: {{retain_days: .inf}}\n",
    })
    errors = check_config(directory)
    assert [e.key for e in errors_for(errors, "nan.yaml")] == ["streams.stall_seconds"]
    assert [e.key for e in errors_for(errors, "inf.yaml")] == ["record.retain_days"]
