"""Export through the CLI and the API (real app, real users, real SQLite), audited, with SHA-256."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.recorder.clips import RECORDED_START, clip, duration_seconds, frame_hashes
from wawai.cli import main
from wawai.db.audit import AuditEntry
from wawai.recordings import parse_time
from wawai.stage import StageContext

START = RECORDED_START


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def audits(ctx: StageContext) -> list[AuditEntry]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "recording.export")))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_ranges_gaps_and_segments(recorded: StageContext, client: TestClient, users) -> None:
    params = {"start": iso(START - 5), "end": iso(START + 40)}
    operator = bearer(users["operator"].token)
    response = client.get("/api/recordings/north-gate", params=params, headers=operator)
    assert response.status_code == 200
    body = response.json()
    assert body["ranges"] == [{"start": START, "end": START + 30}]
    assert [(g["start"], g["end"]) for g in body["gaps"]] == [(START - 5, START), (START + 30, START + 40)]
    assert [s["duration"] for s in body["segments"]] == [10.0, 10.0, 10.0]
    # The operator is limited to the north group.
    denied = client.get("/api/recordings/south-gate", params={"start": START, "end": START + 40},
                        headers=bearer(users["operator"].token))
    assert denied.status_code == 404  # the same as an unknown camera (issue 17)


def test_api_clip_is_a_faststart_mp4_with_its_hash_and_audited(recorded: StageContext, client: TestClient,
                                                                users) -> None:
    params = {"start": str(START + 12.5), "end": str(START + 25)}
    assert client.get("/api/recordings/north-gate/clip.mp4", params=params,
                      headers=bearer(users["operator"].token)).status_code == 403
    response = client.get("/api/recordings/north-gate/clip.mp4", params=params,
                          headers=bearer(users["supervisor"].token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["x-content-sha256"] == hashlib.sha256(response.content).hexdigest()
    assert response.content.index(b"moov") < response.content.index(b"mdat")
    [entry] = audits(recorded)
    assert entry.user_name == users["supervisor"].name
    assert entry.camera_id == "north-gate"
    assert entry.detail["sha256"] == response.headers["x-content-sha256"]
    assert entry.detail["start"] == START + 12.5 and entry.detail["clip_start"] == START + 12.0
    empty = {"start": START + 100, "end": START + 200}
    nothing = client.get("/api/recordings/north-gate/clip.mp4", params=empty,
                         headers=bearer(users["supervisor"].token))
    assert nothing.status_code == 404


def test_cli_export_writes_the_clip_and_its_sha256_and_audits(recorded: StageContext, config_dir: Path,
                                                              tmp_path: Path) -> None:
    output = tmp_path / "evidence" / "gate.mp4"
    code = main(["--config", str(config_dir), "export", "north-gate", "--start", iso(START + 5),
                 "--end", str(START + 21), "-o", str(output), "--user", "alice"])
    assert code == 0
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert output.with_name("gate.mp4.sha256").read_text() == f"{digest}  gate.mp4\n"
    duration = duration_seconds(output)
    assert 16.0 <= duration <= 16.0 + 2.0  # starts at the keyframe at 4 s: within one keyframe interval
    assert frame_hashes(output) == frame_hashes(clip())[40:210]
    [entry] = audits(recorded)
    assert (entry.user_name, entry.detail["sha256"], entry.detail["via"]) == ("alice", digest, "cli")


def test_cli_export_refuses_bad_times_and_empty_ranges(recorded: StageContext, config_dir: Path,
                                                       tmp_path: Path, capsys) -> None:
    output = tmp_path / "x.mp4"
    assert main(["--config", str(config_dir), "export", "north-gate", "--start", "yesterday", "--end", "1",
                 "-o", str(output)]) == 1
    assert "neither ISO-8601" in capsys.readouterr().err
    assert main(["--config", str(config_dir), "export", "north-gate", "--start", str(START + 100),
                 "--end", str(START + 200), "-o", str(output)]) == 1
    assert "nothing recorded" in capsys.readouterr().err
    assert not output.exists()
    assert audits(recorded) == []


def test_api_refuses_bad_ranges_with_a_reason(recorded: StageContext, client: TestClient, users) -> None:
    supervisor = bearer(users["supervisor"].token)
    bad = client.get("/api/recordings/north-gate", params={"start": "noon", "end": START}, headers=supervisor)
    assert bad.status_code == 400 and "ISO-8601" in bad.json()["detail"]
    backwards = client.get("/api/recordings/north-gate", params={"start": START + 10, "end": START},
                           headers=supervisor)
    assert backwards.status_code == 400
    one_second = {"start": START, "end": START + 1}
    unknown = client.get("/api/recordings/nowhere", params=one_second, headers=supervisor)
    assert unknown.status_code == 404
    anonymous = client.get("/api/recordings/north-gate", params={"start": START, "end": START + 1})
    assert anonymous.status_code == 401


def test_times_parse_as_iso_or_epoch() -> None:
    assert parse_time("2025-11-28T10:00:00Z") == RECORDED_START
    assert parse_time("2025-11-28T17:00:00+07:00") == RECORDED_START
    assert parse_time("2025-11-28T10:00:00") == RECORDED_START  # no zone: UTC
    assert parse_time(" 1764324000.5 ") == RECORDED_START + 0.5
    with pytest.raises(ValueError, match="neither ISO-8601"):
        parse_time("yesterday")
