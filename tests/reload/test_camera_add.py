"""`wawai camera add` against the real RTSP test server: a valid file, never the password."""

from __future__ import annotations

import pytest

from tests.support.app_fixtures import write_config
from tests.support.rtsp_fixtures import free_port, running_server
from wawai.cli import main
from wawai.config.loader import load_config

pytestmark = pytest.mark.rtsp


@pytest.fixture(scope="module")
def rtsp_server(rtsp_media, tmp_path_factory):
    """Overrides the shared server: two mounts start faster on a loaded machine."""
    mounts = {m: rtsp_media[m] for m in ("vtest", "vtest30")}
    with running_server(mounts, tmp_path_factory.mktemp("rtsp-add")) as server:
        yield server


@pytest.fixture
def empty_config(tmp_path):
    return write_config(tmp_path, cameras={})


def test_add_writes_a_valid_file_without_the_password(rtsp_server, empty_config, capsys, monkeypatch):
    url = rtsp_server.url_with_auth("vtest")
    code = main(["camera", "add", "gate-east", "--url", url, "--sub", rtsp_server.url_with_auth("vtest30"),
                 "--name", "East Gate", "--group", "yard", "--config", str(empty_config)])
    out = capsys.readouterr()
    assert code == 0, out.err
    path = empty_config / "cameras" / "gate-east.yaml"
    text = path.read_text()
    assert rtsp_server.password not in text and rtsp_server.password not in out.out + out.err
    assert "${GATE_EAST_PASSWORD}" in text and "GATE_EAST_PASSWORD" in out.out
    assert "# main: h264" in text and "640x480" in text and "keyframe every 2 s" in text
    assert "# sub: h264" in text

    monkeypatch.setenv("GATE_EAST_PASSWORD", rtsp_server.password)
    assert main(["config", "check", str(empty_config)]) == 0
    camera = load_config(empty_config).cameras["gate-east"]
    assert camera.streams.main == url and camera.name == "East Gate" and camera.group == "yard"

    # Never overwritten without --force.
    assert main(["camera", "add", "gate-east", "--url", url, "--config", str(empty_config)]) == 1
    assert "use --force" in capsys.readouterr().err
    assert path.read_text() == text
    assert main(["camera", "add", "gate-east", "--url", rtsp_server.url("vtest"), "--force",
                 "--config", str(empty_config)]) == 0
    assert "PASSWORD" not in path.read_text()


def test_an_unreachable_camera_is_refused_unless_offline(rtsp_server, empty_config, capsys):
    dead = f"rtsp://admin:hunter22@127.0.0.1:{free_port()}/ch1"
    add_dead = ["camera", "add", "dead", "--url", dead, "--timeout", "2", "--config", str(empty_config)]
    assert main(add_dead) == 1
    err = capsys.readouterr().err
    assert err.startswith("wawai: main stream: ") and len(err.strip().splitlines()) == 1
    assert "hunter22" not in err and "--offline" in err
    assert not (empty_config / "cameras" / "dead.yaml").exists()
    wrong = rtsp_server.url_with_auth("vtest", password="wrong-password")
    assert main(["camera", "add", "wrong", "--url", wrong, "--config", str(empty_config)]) == 1
    assert "wrong-password" not in capsys.readouterr().err

    assert main([*add_dead, "--offline"]) == 0
    text = (empty_config / "cameras" / "dead.yaml").read_text()
    assert "not probed" in text and "hunter22" not in text and "${DEAD_PASSWORD}" in text


def test_a_bad_id_is_one_line(empty_config, capsys):
    assert main(["camera", "add", "Gate_1", "--url", "rtsp://h/x", "--config", str(empty_config)]) == 1
    assert "must match [a-z0-9-]+" in capsys.readouterr().err
