"""`wawai export -o`: written atomically into files it creates itself; planted links are not followed,
nothing is overwritten without --force, a folder as output is one line (issue 17)."""

from __future__ import annotations

from pathlib import Path

from tests.recorder.clips import RECORDED_START
from tests.recorder.conftest import recorded  # noqa: F401 - the recorder tests' fixture
from wawai.cli import main

VICTIM_TEXT = "do not overwrite me\n"


def export(config_dir: Path, output: Path, *extra: str) -> int:
    return main(["--config", str(config_dir), "export", "north-gate", "--start", str(RECORDED_START + 5),
                 "--end", str(RECORDED_START + 15), "-o", str(output), *extra])


def test_planted_links_are_not_written_through(recorded, config_dir, tmp_path, capsys):  # noqa: F811
    victims = tmp_path / "victims"
    victims.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    output = out / "clip.mp4"
    for suffix in (".part", ".sha256"):
        victim = victims / f"victim{suffix}"
        victim.write_text(VICTIM_TEXT)
        output.with_name(output.name + suffix).symlink_to(victim)
    # The planted .sha256 link is something already there: refused without --force, in one line.
    assert export(config_dir, output) == 1
    err = capsys.readouterr().err
    assert "already exists; use --force" in err and err.count("\n") == 1
    assert not output.exists()
    # With --force the links themselves are replaced; what they pointed to is untouched.
    assert export(config_dir, output, "--force") == 0
    assert output.is_file() and not output.is_symlink() and output.read_bytes()[4:8] == b"ftyp"
    checksum = output.with_name("clip.mp4.sha256")
    assert not checksum.is_symlink() and checksum.read_text().endswith("  clip.mp4\n")
    for suffix in (".part", ".sha256"):
        assert (victims / f"victim{suffix}").read_text() == VICTIM_TEXT
    assert [p.name for p in out.iterdir() if p.name.startswith(".wawai-export-")] == []


def test_an_existing_output_is_kept_without_force(recorded, config_dir, tmp_path, capsys):  # noqa: F811
    output = tmp_path / "clip.mp4"
    output.write_text(VICTIM_TEXT)
    assert export(config_dir, output) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert output.read_text() == VICTIM_TEXT
    assert export(config_dir, output, "--force") == 0 and output.read_bytes()[4:8] == b"ftyp"


def test_a_folder_as_output_is_one_line(recorded, config_dir, tmp_path, capsys):  # noqa: F811
    assert export(config_dir, tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("wawai: ") and "is a folder" in err and err.count("\n") == 1
    assert "Traceback" not in err
