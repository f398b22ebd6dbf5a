"""The shipped sample config passes `wawai config check config` anywhere (no env vars needed)."""

from __future__ import annotations

from wawai.assets import REPO_ROOT
from wawai.cli import main
from wawai.config.loader import check_config, load_config


def test_sample_config_is_valid(monkeypatch, capsys):
    monkeypatch.delenv("GATE_NORTH_PASSWORD", raising=False)
    directory = REPO_ROOT / "config"
    assert [str(e) for e in check_config(directory)] == []
    config = load_config(directory)
    assert len(config.cameras) >= 3
    assert all(camera.zones or camera.rules for camera in config.cameras.values())
    assert main(["config", "check", str(directory)]) == 0
    assert "OK: 3 cameras" in capsys.readouterr().out
