"""`wawai run` with one hostile camera file among good ones: every good camera starts, the bad one is
reported in one line (issue 17: the alias bomb used to take the supervisor down with MemoryError)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.hardening.test_hostile_config import GOOD, alias_bomb
from tests.support.app_fixtures import free_port, write_config
from tests.support.waiting import wait_for


@pytest.mark.timeout(120)
def test_run_starts_every_good_camera_and_reports_the_bomb_in_one_line(tmp_path):
    port = free_port()
    site = f"storage: {{path: {tmp_path / 'data'}}}\nweb: {{host: 127.0.0.1, port: {port}}}\n"
    directory = write_config(tmp_path, cameras={**GOOD, "bomb.yaml": alias_bomb()}, site=site)
    (directory / "cameras" / "binary.yaml").write_bytes(bytes(range(256)) * 8)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "wawai.cli", "--config", str(directory), "run"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        def both_online() -> bool:
            text = log_path.read_text(errors="replace")
            return "camera good-a/main online" in text and "camera good-b/main online" in text

        try:
            wait_for(both_online, 90, "both good cameras online")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; log:\n{log_path.read_text(errors='replace')[-3000:]}") from None
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    lines = log_path.read_text(errors="replace").splitlines()
    for name in ("bomb.yaml", "binary.yaml"):
        mentions = [line for line in lines if name in line]
        assert len(mentions) == 1, mentions
    assert "Traceback" not in "\n".join(lines)
