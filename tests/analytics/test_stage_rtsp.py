"""The analytics stage in a real setup: the shared footage from the real RTSP server, through the real
ingest hub, into the database, the snapshots and the API. Expected counts: see README.md here."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

import camera_ingest
from analytics.stage import AnalyticsStage
from tests.analytics.helpers import LAWN, LINE, POST, WALK
from tests.support.app_fixtures import write_config
from tests.support.rtsp_fixtures import running_server
from tests.support.waiting import wait_until
from wawai import accounts
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.incidents import Incident
from wawai.db.migrate import upgrade
from wawai.stage import STAGES_SERVICE, StageContext
from webui.app import create_app

pytestmark = pytest.mark.rtsp

SITE_TZ = ZoneInfo("Asia/Jakarta")
NOON = datetime(2026, 11, 29, 12, 0, tzinfo=SITE_TZ).timestamp()
# As in test_footage.py, upper bounds one higher for the loop seam (README.md).
TOLERANCE = {
    "walkway-entry": range(8, 15),
    "westbound": range(6, 11),
    "eastbound": range(2, 6),
    "lawn-entry": range(0, 1),
    "post-loiter": range(1, 5),
    "walkway-at-night": range(0, 1),  # schedule 22:00-05:00, the injected clock says noon
}
WINDOW = 30.0  # the clip's length: 30 s of the loop hold every moment of it once
KEPT_UP_SHARE = 0.9  # of detect.fps x WINDOW: frames a window must have had analysed to count
KEPT_UP_DEADLINE = 150.0  # unloaded, the first window is the one (30 s); loaded, a later one may be


def camera_yaml(url: str, **detect: Any) -> str:
    rule = {"objects": ["person"], "cooldown": 0}
    walkway = {"type": "intrusion", "zone": "walkway", **rule}
    doc = {
        "name": "Walkway",
        "group": "south",
        "streams": {"main": url, "stall_seconds": 2},
        "detect": {"fps": 5, **detect},
        "zones": [
            {"name": "walkway", "polygon": WALK},
            {"name": "lawn", "polygon": LAWN},
            {"name": "post", "polygon": POST},
        ],
        "rules": [
            {"name": "walkway-entry", "type": "intrusion", "zone": "walkway", **rule},
            {"name": "walkway-at-day", "schedule": "11:00-13:00", **walkway},
            {"name": "walkway-at-night", "schedule": "22:00-05:00", **walkway},
            {"name": "lawn-entry", "type": "intrusion", "zone": "lawn", **rule},
            {"name": "westbound", "type": "line_crossing", "line": LINE, "direction": "a_to_b", **rule},
            {"name": "eastbound", "type": "line_crossing", "line": LINE, "direction": "b_to_a", **rule},
            {"name": "post-loiter", "type": "loitering", "zone": "post", "seconds": 6, **rule},
            {"name": "camera-down", "type": "camera_offline", "seconds": 2, "severity": "high"},
        ],
    }
    return yaml.safe_dump(doc)


def site_yaml(root: Path, model: str = "yolox-nano", model_dirs: list[str] | None = None) -> str:
    return yaml.safe_dump({
        "site": {"name": "Test", "timezone": "Asia/Jakarta"},
        "storage": {"path": str(root / "data")},
        "detector": {"model": model, "model_dirs": model_dirs or ["models"], "threads": 2},
        "incidents": {"pre_seconds": 5, "post_seconds": 10},
    })


class Node:
    """Hub + analytics stage + the web app on one StageContext, always stopped."""

    def __init__(self, root: Path, cameras: dict[str, str], site: str) -> None:
        config = load_config(write_config(root, cameras=cameras, site=site))
        upgrade(config.database_url)
        self.sessions = make_sessionmaker(config.database_url)
        self.bus = EventBus()
        self.hub = camera_ingest.create_hub(config, self.bus)
        self.ctx = StageContext(config=config, hub=self.hub, bus=self.bus, sessions=self.sessions)
        self.stage = AnalyticsStage(self.ctx, schedule_clock=lambda: NOON)

    def start(self) -> None:
        self.hub.start()
        self.stage.start()

    def stop(self) -> None:
        self.stage.stop()
        self.hub.stop()
        self.sessions.kw["bind"].dispose()

    def incidents(self) -> list[Incident]:
        with self.sessions() as db:
            return list(db.scalars(select(Incident).order_by(Incident.id)).all())


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[Any]:
    nodes: list[Node] = []

    def make(cameras: dict[str, str], site: str) -> Node:
        node = Node(tmp_path, cameras, site)
        nodes.append(node)
        node.start()
        return node

    yield make
    for node in nodes:
        node.stop()


@dataclass(frozen=True)
class Sample:
    at: float  # capture time of the last frame analysed
    frames: int  # frames analysed so far
    lost: int  # frames dropped before analysis plus detector runs that failed (queue full under load)


def sample(pipeline: Any) -> Sample | None:
    stats = pipeline.stats
    if stats.first_frame_at is None or stats.last_frame_at is None:
        return None
    return Sample(stats.last_frame_at, stats.frames, stats.frame_drops + stats.detect_failures)


def kept_up_window(pipeline: Any, fps: float, deadline: float) -> tuple[float, float] | None:
    """The first ``WINDOW`` seconds of footage (capture time) that the stage analysed in full: at least
    ``KEPT_UP_SHARE`` of ``fps`` x WINDOW frames, none dropped, no detector run lost; None if it did not
    within ``deadline`` seconds.

    The footage counts hold for a stage that sees the footage. On a loaded machine it falls behind (it
    drops frames rather than lag, by design) and the incidents of that stretch say nothing about the
    rules. Windows are picked by that measure alone, never by their counts.
    """
    samples: list[Sample] = []
    candidate = 0  # index in ``samples`` of the window start being judged
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        now = sample(pipeline)
        if now is not None and not samples:
            first = pipeline.stats.first_frame_at
            samples.append(Sample(first - 1e-6, 0, 0))  # the first window starts with the first frame
        if now is not None:
            samples.append(now)
        while candidate < len(samples):
            start = samples[candidate]
            end = next((s for s in samples[candidate + 1:] if s.at >= start.at + WINDOW), None)
            if end is None:
                break
            if end.frames - start.frames >= KEPT_UP_SHARE * fps * WINDOW and end.lost == start.lost:
                return start.at, start.at + WINDOW
            candidate += 1
        time.sleep(0.2)
    return None


@pytest.fixture(scope="module")
def walkway(rtsp_media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One node analysing vtest30 from a server of its own (the offline test kills it), for both tests."""
    root = tmp_path_factory.mktemp("walkway")
    with running_server(rtsp_media, root) as server:
        node = Node(root, {"vt.yaml": camera_yaml(server.url("vtest30"))}, site_yaml(root))
        node.start()
        try:
            yield server, node
        finally:
            node.stop()


@pytest.mark.timeout(KEPT_UP_DEADLINE + 120)
def test_walkway_over_rtsp_counts_within_the_tolerance(walkway):
    _, node = walkway
    pipeline = node.stage.pipelines["vt"]
    window = kept_up_window(pipeline, fps=5, deadline=KEPT_UP_DEADLINE)
    if window is None:
        # Not a pass: the summary names the skip and why. The same counts on every frame of the same
        # footage are checked whatever the load by test_footage.py.
        pytest.skip(f"the machine was too loaded for the stage to analyse {WINDOW:.0f} s of footage in "
                    f"full within {KEPT_UP_DEADLINE:.0f} s (detect rate {pipeline.detect_rate()}): "
                    "counts over RTSP not measured this run")
    window_start, window_end = window
    # Incidents are stored as their frame is analysed: once later frames are, the window's are all in.
    assert wait_until(lambda: (pipeline.stats.last_frame_at or 0) > window_end + 2, 60), pipeline.status()
    incidents = [i for i in node.incidents() if window_start < i.started_at.timestamp() <= window_end]
    counts = Counter(i.rule for i in incidents)
    for rule, allowed in TOLERANCE.items():
        assert counts[rule] in allowed, f"{rule}: {counts[rule]}, expected {allowed}; all: {counts}"
    assert counts["walkway-at-day"] == counts["walkway-entry"]  # noon is inside 11:00-13:00
    # Incidents are stored within a second of their frame's capture time (issue 5), by a stage that
    # keeps up with its camera.
    for incident in incidents:
        lag = (incident.created_at - incident.started_at).total_seconds()
        assert lag < 1.0, (incident.rule, lag)


@pytest.mark.timeout(600)
def test_walkway_over_rtsp_incidents_offline_and_api(walkway):
    server, node = walkway
    pipeline = node.stage.pipelines["vt"]

    def analysed_seconds() -> float:
        first, last = pipeline.stats.first_frame_at, pipeline.stats.last_frame_at
        return 0.0 if first is None or last is None else last - first

    # What holds however far behind a loaded machine leaves the stage: incidents where people walk,
    # none on the empty lawn nor outside a rule's schedule, the two walkway rules alike.
    assert wait_until(lambda: analysed_seconds() >= WINDOW, timeout=120), pipeline.status()
    settled = (pipeline.stats.last_frame_at or 0) - 10  # incidents before this are stored by now
    incidents = [i for i in node.incidents() if i.started_at.timestamp() < settled]
    counts = Counter(i.rule for i in incidents)
    assert counts["walkway-entry"] >= 2 and counts["walkway-at-day"] == counts["walkway-entry"], counts
    assert counts["lawn-entry"] == 0 and counts["walkway-at-night"] == 0, counts

    status = node.stage.camera_status("vt")
    assert status["state"] == "running" and status["model"] == "yolox-nano"
    assert status["detector"]["requests"] > 0 and status["detector"]["inference_ms"] > 0
    assert "queue_ms" in status["detector"] and status["frames"] > 0

    # The camera dies: camera_offline after stall (2 s) + seconds (2 s), ends when it is back.
    server.kill()
    assert wait_until(lambda: any(i.rule == "camera-down" for i in node.incidents()), timeout=30)
    down = next(i for i in node.incidents() if i.rule == "camera-down")
    assert down.severity == "high" and down.ended_at is None and down.type == "camera_offline"
    server.restart()
    assert wait_until(
        lambda: next(i for i in node.incidents() if i.id == down.id).ended_at is not None, timeout=45
    )

    _check_api(node, incidents, settled)


def _check_api(node: Node, incidents: list[Incident], cutoff: float) -> None:
    """The API over the incidents stored before ``cutoff`` (the stage goes on adding newer ones)."""
    with node.sessions() as db:
        supervisor = accounts.create_user(db, "sup1", "correct horse battery", "supervisor")
        operator = accounts.create_user(db, "op1", "correct horse battery", "operator", ["north"])
        sup_token = accounts.create_token(db, supervisor)
        op_token = accounts.create_token(db, operator)
        db.commit()
    sup = {"Authorization": f"Bearer {sup_token}"}
    op = {"Authorization": f"Bearer {op_token}"}
    walkway = [i for i in node.incidents() if i.rule == "walkway-entry" and i.started_at.timestamp() < cutoff]
    until = datetime.fromtimestamp(cutoff, UTC).isoformat()
    with TestClient(create_app(node.ctx)) as client:
        assert client.get("/api/incidents").status_code == 401
        params: dict[str, Any] = {"rule": "walkway-entry", "per_page": 2, "until": until}
        page = client.get("/api/incidents", params=params, headers=sup).json()
        assert page["total"] == len(walkway) and len(page["items"]) == 2
        assert page["items"][0]["started_at"] >= page["items"][1]["started_at"]  # newest first
        page2 = client.get("/api/incidents", params={**params, "page": 2}, headers=sup).json()
        assert {i["id"] for i in page2["items"]}.isdisjoint({i["id"] for i in page["items"]})
        offline = client.get("/api/incidents", params={"type": "camera_offline", "camera": "vt"}, headers=sup)
        assert offline.json()["total"] == 1 and offline.json()["items"][0]["severity"] == "high"
        first = incidents[0]
        since = first.started_at.astimezone(UTC).isoformat()
        after = client.get("/api/incidents", params={"since": since, "per_page": 200}, headers=sup).json()
        assert all(item["started_at"] >= since for item in after["items"]) and after["total"] >= 1
        assert client.get("/api/incidents", params={"severity": "critical"}, headers=sup).json()["total"] == 0

        one = client.get(f"/api/incidents/{first.id}", headers=sup)
        assert one.status_code == 200 and one.json()["camera"] == "vt" and one.json()["status"] == "new"
        assert one.json()["clip_start"] == pytest.approx(first.started_at.timestamp() - 5, abs=0.01)
        picture = client.get(f"/api/incidents/{first.id}/snapshot.jpg", headers=sup)
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (480, 640, 3)
        assert client.get("/api/incidents/999999", headers=sup).status_code == 404

        # The operator's groups do not include this camera: checked on each incident, not only the route.
        assert client.get(f"/api/incidents/{first.id}", headers=op).status_code == 404
        assert client.get(f"/api/incidents/{first.id}/snapshot.jpg", headers=op).status_code == 404
        assert client.get("/api/incidents", params={"camera": "vt"}, headers=op).status_code == 404
        assert client.get("/api/incidents", headers=op).json()["total"] == 0

        # The stage's facts reach the camera status the API shows (queue and inference time included).
        node.ctx.services[STAGES_SERVICE] = [node.stage]
        shown = client.get("/api/cameras/vt", headers=sup).json()["status"]["stages"]["analytics"]
        assert shown["state"] == "running" and shown["detector"]["inference_ms"] > 0
        assert "queue_ms" in shown["detector"]


def test_wrong_model_file_degrades_to_motion_only(rtsp_server, node_factory, tmp_path: Path):
    models = tmp_path / "site-models"
    models.mkdir()
    (models / "broken.yaml").write_text(
        (Path(__file__).resolve().parents[2] / "models" / "yolox-nano.yaml").read_text().replace(
            "name: yolox-nano", "name: broken"
        ).replace("file: yolox_nano_416x416.onnx", "file: fastestdet_352x352.onnx")
    )
    node = node_factory(
        {"vt.yaml": camera_yaml(rtsp_server.url("vtest"))},
        site_yaml(tmp_path, model="broken", model_dirs=[str(models)]),
    )
    pipeline = node.stage.pipelines["vt"]
    assert wait_until(lambda: pipeline.stats.frames >= 10, timeout=30)
    status = node.stage.camera_status("vt")
    assert status["state"] == "degraded"
    assert "sha256" in status["reason"] and "does not match" in status["reason"]
    assert "\n" not in status["reason"]
    assert status["detect_runs"] == 0 and status["frames"] >= 10 and status["motion"] >= 0
    assert not [i for i in node.incidents() if i.type != "camera_offline"]
