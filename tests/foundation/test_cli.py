"""The wawai CLI: config check and schema, user add, token create (and the token then works)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from tests.support.app_fixtures import write_config
from wawai import accounts
from wawai.cli import main
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker


def test_config_check_valid_prints_one_summary_line(config_dir, capsys):
    assert main(["config", "check", str(config_dir)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"{config_dir}: OK: 2 cameras, 0 zones, 0 rules"]


def test_config_check_prints_every_error_and_exits_1(tmp_path, capsys):
    directory = write_config(tmp_path, cameras={
        "a.yaml": "streams: {main: http://x}\ndetect: {fps: 0}\n",
        "b.yaml": "streams: {main: /v.mp4}\nzones: [{name: z, polygon: [[0, 0], [2, 2], [0, 1]]}]\n",
    })
    assert main(["--config", str(directory), "config", "check"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    cams = directory / "cameras"
    assert lines[0].startswith(f"{cams / 'a.yaml'}:1: streams.main: ")
    assert lines[1].startswith(f"{cams / 'a.yaml'}:2: detect.fps: ")
    assert lines[2].startswith(f"{cams / 'b.yaml'}:2: zones.0.polygon.1: ")
    assert lines[-1] == f"3 error(s) in {directory}"


@pytest.mark.parametrize("command", [["user", "list"], ["token", "list"], ["export", "cam", "--start", "0",
                                                                         "--end", "10", "-o", "clip.mp4"]])
def test_commands_refuse_a_broken_site_config_with_one_message(tmp_path, capsys, command):
    directory = write_config(tmp_path, site="storage: {max_bytes: lots}\n")
    assert main(["--config", str(directory), *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"wawai: config is not valid (run `wawai config check {directory}`)"), err
    assert "storage.max_bytes" in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()  # nothing was created from a config that failed


def test_config_option_after_the_command_and_env_default(config_dir, monkeypatch, capsys):
    assert main(["config", "check", "--config", str(config_dir)]) == 0
    monkeypatch.setenv("WAWAI_CONFIG", str(config_dir))
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out.count("OK: 2 cameras") == 2


def test_config_schema_is_json_schema(capsys):
    assert main(["config", "schema", "camera"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert {"id", "streams", "zones", "rules"} <= set(schema["properties"])
    assert main(["config", "schema"]) == 0
    either = json.loads(capsys.readouterr().out)
    assert either["anyOf"] == [{"$ref": "#/$defs/SiteConfig"}, {"$ref": "#/$defs/CameraConfig"}]
    assert {"SiteConfig", "CameraConfig", "Rule", "Zone"} <= set(either["$defs"])


def test_user_add_from_stdin_and_token_create(config_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["--config", str(config_dir), "user", "add", "maria", "--role", "supervisor",
                 "--groups", "north, south"]) == 0
    assert "added supervisor 'maria'" in capsys.readouterr().out
    assert main(["--config", str(config_dir), "token", "create", "maria"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("wawai_")
    config = load_config(config_dir)
    with make_sessionmaker(config.database_url)() as db:
        user = accounts.authenticate(db, "maria", "a long enough password")
        assert user is not None and user.groups == ["north", "south"]
        by_token = accounts.user_for_token(db, token)
        assert by_token is not None and by_token.name == "maria"
        stored = [t.token_hash for t in user.tokens]
        assert token not in stored and accounts.digest(token) in stored


def test_user_add_rejects_short_password_and_duplicates(config_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["--config", str(config_dir), "user", "add", "x", "--role", "admin"]) == 1
    assert "too short" in capsys.readouterr().err
    for expected in (0, 1):
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
        assert main(["--config", str(config_dir), "user", "add", "x", "--role", "admin"]) == expected
    assert "already exists" in capsys.readouterr().err


def test_token_for_unknown_user_fails(config_dir, capsys):
    assert main(["--config", str(config_dir), "token", "create", "ghost"]) == 1
    assert "no user 'ghost'" in capsys.readouterr().err


def test_cli_token_signs_in_to_the_api(config_dir, monkeypatch, capsys, stage_context):
    from webui.app import create_app

    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    main(["--config", str(config_dir), "user", "add", "op", "--role", "operator", "--groups", "south"])
    main(["--config", str(config_dir), "token", "create", "op"])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    with TestClient(create_app(stage_context)) as client:
        answer = client.get("/api/cameras", headers={"Authorization": f"Bearer {token}"})
    assert [c["id"] for c in answer.json()] == ["south-gate"]


@pytest.mark.parametrize("argv", [["--help"], ["config", "--help"], ["user", "add", "--help"]])
def test_console_entry_point_runs(argv):
    result = subprocess.run([sys.executable, "-m", "wawai.cli", *argv], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert "--config" in result.stdout


def test_passwd_disable_and_token_revoke_take_effect_at_once(config_dir, monkeypatch, capsys, stage_context):
    from webui.app import create_app

    base = ["--config", str(config_dir)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("first password 1\n"))
    main([*base, "user", "add", "kim", "--role", "admin"])
    main([*base, "token", "create", "kim", "--label", "wall"])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(stage_context)) as client:
        login = {"name": "kim", "password": "first password 1"}
        assert client.post("/api/auth/login", json=login).status_code == 200
        assert client.get("/api/auth/me").status_code == 200

        monkeypatch.setattr(sys, "stdin", io.StringIO("second password 2\n"))
        assert main([*base, "user", "passwd", "kim"]) == 0
        assert client.get("/api/auth/me").status_code == 401  # the browser session ended
        assert client.post("/api/auth/login", json=login).status_code == 401
        assert client.get("/api/auth/me", headers=bearer).status_code == 200  # tokens are separate

        assert main([*base, "user", "disable", "kim"]) == 0
        assert client.get("/api/auth/me", headers=bearer).status_code == 401
        assert main([*base, "user", "enable", "kim"]) == 0
        assert client.get("/api/auth/me", headers=bearer).status_code == 200

        capsys.readouterr()
        assert main([*base, "token", "list", "kim"]) == 0
        listed = capsys.readouterr().out.strip().splitlines()
        assert len(listed) == 1 and "\tkim\twall\t" in listed[0] and token not in listed[0]
        token_id = listed[0].split("\t")[0]
        assert main([*base, "token", "revoke", token_id]) == 0
        assert client.get("/api/auth/me", headers=bearer).status_code == 401
        assert main([*base, "token", "revoke", token_id]) == 1
