"""Camera health (figures, per-minute samples, plots), /metrics, and the activity band, on the shared site."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from analytics.activity import ActivityCounter
from tests.playback.browser_support import open_page, page_url, screenshot
from tests.playback.recording_site import RecordingSite
from tests.support.browser_fixtures import sign_in
from wawai.db.activity import minutes_between
from wawai.db.incidents import Incident

pytestmark = pytest.mark.rtsp


def get(site: RecordingSite, path: str, role: str | None = "admin") -> httpx.Response:
    return httpx.get(site.server.url + path, headers=site.bearer(role) if role else {}, timeout=30)


def test_health_lists_only_visible_cameras_with_live_figures(recording_site: RecordingSite):
    site = recording_site
    answer = get(site, "/api/camera-health", "operator")
    assert answer.status_code == 200
    rows = {row["camera_id"]: row for row in answer.json()["cameras"]}
    assert set(rows) == {"gate", "h265"}  # group north only
    gate = rows["gate"]
    assert gate["state"] == "online" and gate["recording"] == "recording"
    assert gate["fps"] == pytest.approx(10, abs=1.5)
    assert gate["keyframe_interval"] == pytest.approx(2, abs=0.3)
    assert gate["bitrate_kbps"] > 50 and gate["storage_bytes"] > 1_000_000
    assert gate["reconnects"] >= 1  # the outage
    assert gate["gap_minutes_24h"] >= 10 / 60  # the 10 s outage, at least
    assert get(site, "/api/camera-health/yard/samples", "operator").status_code == 404


@pytest.mark.browser
def test_samples_are_kept_per_camera_and_plotted(recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    samples = get(site, "/api/camera-health/gate/samples?hours=1").json()
    assert len(samples["samples"]) >= 5
    fps = [row[samples["columns"].index("fps")] for row in samples["samples"]]
    assert max(value or 0 for value in fps) == pytest.approx(10, abs=1.5)
    admin = site.users["admin"]
    sign_in(page, site.server.url, admin.name, admin.password)
    page.goto(f"{site.server.url}/static/health.html?camera=gate")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    plots = page.eval_on_selector_all(".health-plot", "nodes => nodes.map(n => ({column: n.dataset.column, "
                                      "points: +n.dataset.points, canvas: !!n.querySelector('canvas')}))")
    assert {p["column"] for p in plots} == {"fps", "bitrate_kbps", "reconnects", "detector_ms"}
    assert all(p["points"] >= 5 and p["canvas"] for p in plots), plots
    assert page.locator("#health-rows tr").count() == 4  # admin sees every camera
    screenshot(page, "health")


def test_metrics_parse_and_need_credentials(recording_site: RecordingSite):
    site = recording_site
    assert get(site, "/metrics", None).status_code == 401
    answer = get(site, "/metrics", "operator")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(answer.text)}
    fps = {s.labels["camera"]: s.value for s in families["wawai_camera_fps"].samples}
    assert set(fps) == {"gate", "h265"} and fps["gate"] == pytest.approx(10, abs=1.5)
    assert {s.labels["camera"] for s in families["wawai_recording_bytes"].samples} == {"gate", "h265"}
    assert any(s.value >= 1 for s in families["wawai_camera_reconnects"].samples)
    assert "process_cpu_seconds" in families and "process_resident_memory_bytes" in families
    assert "rtsp://" not in answer.text


@pytest.mark.browser
def test_activity_counts_per_minute_reach_the_timeline_band(recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("gate")
    counter = ActivityCounter("gate", site.ctx.sessions)
    start = rows[0].start
    for step in range(300):  # 60 s at 5 fps, moving every other frame, a person now and then
        counter.add(start + step * 0.2, step % 2 == 0, 1 if step % 10 == 0 else 0)
    counter.flush()
    with site.ctx.sessions() as db:
        minutes = minutes_between(db, "gate", start - 60, start + 120)
    assert sum(m.frames for m in minutes) == 300 and sum(m.motion_frames for m in minutes) == 150
    assert sum(m.detections for m in minutes) == 30 and len(minutes) in (1, 2)
    answer = get(site, f"/api/recordings/gate/activity?start={start - 60}&end={start + 120}").json()
    assert [row[0] for row in answer["minutes"]] == [m.minute for m in minutes]
    with site.ctx.sessions() as db:  # an incident as analytics stores it: a marker coloured by severity
        incident = Incident(camera_id="gate", rule="night-entry", type="intrusion", severity="high",
                            started_at=datetime.fromtimestamp(start + 5, UTC), clip_start=start)
        db.add(incident)
        db.commit()
        incident_id = incident.id
    open_page(page, site, "admin", page_url(site, "gate"))
    assert page.locator(".tl-activity-bar").count() >= 1
    marker = page.locator(f".tl-marker[data-id='{incident_id}']")
    assert marker.get_attribute("href") == f"/static/incident.html?id={incident_id}"
    assert "severity-high" in (marker.get_attribute("class") or "")
