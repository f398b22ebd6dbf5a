"""Evidence packages from recorded footage (real segments, real ZIP, real Ed25519 key): they verify, one
changed byte in any file is named, and a locked incident's footage outlives retention, quota and a full
disk while the others' goes."""

from __future__ import annotations

import dataclasses
import json
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import recorder
from recorder.index import SegmentIndex
from recorder.retention import Retention
from recorder.segmenter import Segmenter
from tests.incidents.conftest import Site, add_incident, build_site
from tests.recorder.clips import RECORDED_START, clip, media_packets
from tests.support.waiting import wait_for
from wawai.cli import main
from wawai.db.audit import AuditEntry
from wawai.db.recordings import RecordingSegment
from wawai.evidence import site_key, verify_package
from wawai.recordings import SERVICE_NAME
from wawai.stage import StageContext
from webui.app import create_app
from webui.deps import make_pools


def record(ctx: StageContext, camera: str, start: float) -> None:
    index = SegmentIndex(ctx.storage, ctx.sessions)
    segmenter = Segmenter(ctx.storage, camera, 10, lambda f: index.add_segment(camera, f))
    for packet in media_packets(clip(), start):
        segmenter.feed(packet)
    segmenter.finish()


@pytest.fixture(scope="module")
def recorded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("evidence-site"))
    recorder.create_stage(built.ctx)  # registers the recordings service (no camera is read)
    record(built.ctx, "putr-cam", RECORDED_START)
    record(built.ctx, "rsu-cam", RECORDED_START)
    yield built
    built.sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def api(recorded_site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(recorded_site.ctx)) as client:
        yield client


def with_snapshot(site: Site, camera: str, at: float) -> int:
    picture = np.full((120, 160, 3), 80, np.uint8)
    relative = Path("snapshots") / camera / "evidence.jpg"
    (site.ctx.storage / relative).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(site.ctx.storage / relative), picture)
    return add_incident(site.sessions, camera=camera, at=at, snapshot_path=relative.as_posix())


def changed_copy(package: Path, member: str, target: Path) -> Path:
    """The package rewritten with one byte of ``member`` changed (a valid ZIP: only the hashes tell)."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = bytearray(source.read(info))
            if info.filename == member:
                data[len(data) // 2] ^= 0x01
            out.writestr(info, bytes(data))
    return target


def test_evidence_package_verifies_and_names_any_changed_file(api, recorded_site, tmp_path, capsys) -> None:
    site = recorded_site
    incident = with_snapshot(site, "putr-cam", RECORDED_START + 10)
    answer = api.post(f"/api/incidents/{incident}/evidence", headers=site.headers("supervisor1"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    package = tmp_path / "evidence.zip"
    package.write_bytes(answer.content)
    with zipfile.ZipFile(package) as opened:
        assert sorted(opened.namelist()) == ["clip.mp4", "manifest.json", "manifest.sig", "snapshot.jpg"]
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["incident"]["id"] == incident and manifest["camera"]["group"] == "Dinas PUTR"
    assert manifest["exported_by"] == "supervisor1"
    assert manifest["range"]["start"]["site"].endswith("+07:00")
    assert manifest["range"]["start"]["utc"].endswith("+00:00")
    # The clip starts on the keyframe at or before the pre-roll (GOP of the footage: 2 s).
    assert RECORDED_START + 5 - 2.01 <= manifest["range"]["start_epoch"] <= RECORDED_START + 5
    assert set(manifest["files"]) == {"clip.mp4", "snapshot.jpg"}

    config = ["--config", str(site.config_dir)]
    assert main([*config, "evidence", "verify", str(package)]) == 0
    assert ": OK (incident" in capsys.readouterr().out
    for member in ("clip.mp4", "snapshot.jpg", "manifest.json", "manifest.sig"):
        tampered = changed_copy(package, member, tmp_path / f"changed-{member}.zip")
        assert main([*config, "evidence", "verify", str(tampered)]) == 1
        error = capsys.readouterr().err
        assert f"FAILED: {member}" in error, error
    # One byte flipped inside the ZIP file itself, in the clip's data: the ZIP's CRC names the file.
    raw = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as opened:
        info = opened.getinfo("clip.mp4")
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[data_start + info.file_size // 2] ^= 0xFF
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(bytes(raw))
    verdict = verify_package(flipped, site_key(site.ctx.storage).public_key())
    assert not verdict.ok and verdict.file == "clip.mp4"
    with site.sessions() as db:
        row = db.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.export")).one()
    assert row.detail["incident"] == incident and row.user_name == "supervisor1"


def test_cli_export_and_pubkey_match_the_site(api, recorded_site, tmp_path, capsys) -> None:
    site = recorded_site
    incident = add_incident(site.sessions, camera="rsu-cam", at=RECORDED_START + 15)
    output = tmp_path / "cli.zip"
    config = ["--config", str(site.config_dir)]
    assert main([*config, "evidence", "export", str(incident), "-o", str(output), "--user", "ibu-rina"]) == 0
    capsys.readouterr()
    assert main([*config, "evidence", "verify", str(output)]) == 0
    assert main([*config, "evidence", "pubkey"]) == 0
    printed = capsys.readouterr().out
    served = api.get("/api/evidence/pubkey", headers=site.headers("admin1")).json()
    assert served["public_key"] in printed and served["fingerprint"] in printed
    key_file = tmp_path / "site.pem"
    key_file.write_text(served["public_key"])
    assert main(["evidence", "verify", str(output), "--pubkey", str(key_file)]) == 0
    assert main([*config, "evidence", "export", "424242", "-o", str(tmp_path / "x.zip")]) == 1
    assert "no incident 424242" in capsys.readouterr().err
    with zipfile.ZipFile(output) as opened:
        assert json.loads(opened.read("manifest.json"))["exported_by"] == "ibu-rina"


class HeldExporter:
    """The real recordings service, each export held at its start until ``release`` is set: exports stay
    in flight exactly as long as the test needs them there."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.release = threading.Event()
        self.arrived = 0
        self._lock = threading.Lock()

    def export_clip(self, *args: Any) -> Any:
        with self._lock:
            self.arrived += 1
        self.release.wait(120)
        return self.real.export_clip(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_evidence_and_clip_exports_share_one_bound(api, recorded_site) -> None:
    site = recorded_site
    incident = add_incident(site.sessions, camera="putr-cam", at=RECORDED_START + 10)
    clip_url = f"/api/recordings/putr-cam/clip.mp4?start={RECORDED_START + 2}&end={RECORDED_START + 20}"
    web = site.ctx.config.site.web.model_copy(update={"export_workers": 1, "export_queue": 1,
                                                      "exports_per_user": 1})
    api.app.state.work_pools = make_pools(web)  # one running, one waiting, one each per user
    real = site.ctx.services[SERVICE_NAME]
    held = HeldExporter(real)
    site.ctx.services[SERVICE_NAME] = held
    try:
        with ThreadPoolExecutor(2) as pool:
            evidence = pool.submit(api.post, f"/api/incidents/{incident}/evidence",
                                   headers=site.headers("supervisor1"))
            wait_for(lambda: held.arrived == 1, 60, "the evidence export running")
            # supervisor1's one export is the evidence package: a clip export of theirs is refused.
            mine = api.get(clip_url, headers=site.headers("supervisor1"))
            assert mine.status_code == 503 and int(mine.headers["Retry-After"]) > 0
            assert mine.json()["detail"] == "at most 1 exports at a time each; wait for yours"
            # Another user's clip export takes the one place in the queue...
            queued = pool.submit(api.get, clip_url, headers=site.headers("supervisor2"))
            wait_for(lambda: api.app.state.work_pools.exports.stats()["admitted"] == 2, 60,
                     "the clip export queued")
            # ...and a third user's evidence export finds the node's exports full.
            full = api.post(f"/api/incidents/{incident}/evidence", headers=site.headers("admin1"))
            assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0
            assert full.json()["detail"] == "the server is busy with exports; try again shortly"
            held.release.set()
            assert evidence.result(timeout=120).status_code == 200
            assert queued.result(timeout=120).status_code == 200
        # The slots came back: each kind runs again.
        assert api.get(clip_url, headers=site.headers("supervisor1")).status_code == 200
        again = api.post(f"/api/incidents/{incident}/evidence", headers=site.headers("admin1"))
        assert again.status_code == 200
        assert api.app.state.work_pools.exports.stats()["admitted"] == 0
    finally:
        held.release.set()
        site.ctx.services[SERVICE_NAME] = real
        del api.app.state.work_pools  # the next test gets the configured pools


def segments(site: Site, camera: str) -> list[str]:
    with site.sessions() as db:
        return list(db.scalars(select(RecordingSegment.path).where(RecordingSegment.camera_id == camera)))


def retention(site: Site, **storage) -> Retention:
    config = site.ctx.config
    data = config.site.model_dump()
    data["storage"] |= storage
    data["incidents"] |= {"retain_days": 1}
    changed = dataclasses.replace(config, site=type(config.site).model_validate(data))
    # 30 days later: past every camera's retain_days of 14 and the incidents' 1.
    return Retention(changed, site.sessions, live_paths=set, clock=lambda: RECORDED_START + 30 * 86400)


def test_locked_incident_footage_survives_retention_quota_and_a_full_disk(api, recorded_site) -> None:
    site = recorded_site
    locked = add_incident(site.sessions, camera="putr-cam", at=RECORDED_START + 12)
    add_incident(site.sessions, camera="rsu-cam", at=RECORDED_START + 12)  # unlocked, same age
    answer = api.post(f"/api/incidents/{locked}/lock", json={"note": "police request"},
                      headers=site.headers("supervisor1"))
    assert answer.status_code == 200 and answer.json()["locked"] is True
    assert api.post(f"/api/incidents/{locked}/lock", headers=site.headers("supervisor1")).status_code == 409
    kept = segments(site, "putr-cam")
    assert len(kept) == 3 and len(segments(site, "rsu-cam")) == 3

    result = retention(site).run_pass()  # age: everything is 30 days old
    assert segments(site, "rsu-cam") == []
    assert result.by_reason == {"age": 3}  # rsu-cam's; the locked clip range (7..24 s) spans putr-cam's
    survivors = segments(site, "putr-cam")
    assert survivors == kept

    record(site.ctx, "rsu-cam", RECORDED_START + 30 * 86400 - 100)  # fresh footage, inside retain_days
    add_incident(site.sessions, camera="rsu-cam", at=RECORDED_START + 30 * 86400 - 74)  # recent, unlocked
    tiny = retention(site, max_bytes=1)
    tiny.run_pass()  # quota: the recent incident's footage is kept, the rest of rsu-cam goes
    assert segments(site, "putr-cam") == survivors
    assert 1 <= len(segments(site, "rsu-cam")) < 3
    tiny.wake(disk_full=True)
    tiny.run_pass()  # a full disk: unlocked incident footage goes too, the locked one stays
    assert segments(site, "rsu-cam") == []
    assert segments(site, "putr-cam") == survivors
    assert all((site.ctx.storage / path).is_file() for path in survivors)

    unlocked = api.post(f"/api/incidents/{locked}/unlock", headers=site.headers("supervisor1"))
    assert unlocked.json()["locked"] is False
    retention(site).run_pass()
    assert segments(site, "putr-cam") == []
    with site.sessions() as db:
        actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.in_(
            ["incident.lock", "incident.unlock"])).order_by(AuditEntry.id)))
    assert actions == ["incident.lock", "incident.unlock"]
