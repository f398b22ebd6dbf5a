"""Live and recorded video from any web node, with real parts: record node B and web-only node A are real
``python -m wawai.node`` processes on one real PostgreSQL and one real ``nats-server -js``; B's own
coordinator takes camera "gate" (from the real RTSP server); the browser is Debian's Chromium and talks
only to A.

- WHEP through A for the camera B owns plays; B audits it as the user via node-a.
- A recording made on B plays through A (playlist from the shared index, segments fetched from B with
  their byte ranges), and the picture is one B recorded.
- A record node C joins (placement keeps the camera on B), then kill -9 of B: C's coordinator takes the
  camera, and the wall's tile on A resumes by itself, through A.
- The cluster page on A lists the nodes and the owner.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from tests.cluster.web_site import CAMERA, TIMEZONE, NodeProcess
from tests.live.browser_helpers import FIRST_FRAME, wait_playing
from tests.playback.browser_support import GRAB_FRAME, THUMB, best_match, reference_frames, screenshot
from tests.support.app_fixtures import PASSWORD
from tests.support.browser_fixtures import sign_in
from tests.support.postgres import fresh_database
from tests.support.waiting import wait_for, wait_until
from wawai import accounts
from wawai.cluster.placement import place
from wawai.db.audit import AuditEntry
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment

pytestmark = [pytest.mark.rtsp, pytest.mark.browser]
ADMIN = "admin1"
VIEWS_PER_USER = 2  # node B's web.live_max_sessions_per_user

# Through the page's own request code: VIEWS_PER_USER + 1 offers held open, a trickle-ICE PATCH of the
# first, then DELETE of each, and of the first once more.
SESSION_ROUND = """async ({camera, count}) => {
  const { request } = await import('/static/js/api.js');
  const status = async (path, options) => {
    try { return (await request(path, options)).status; } catch (error) { return error.status; }
  };
  const views = [];
  for (let i = 0; i < count; i += 1) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    try {
      const response = await request(`/api/live/${camera}/whep`, {
        method: 'POST', body: pc.localDescription.sdp, headers: { 'Content-Type': 'application/sdp' } });
      views.push({ pc, status: response.status, location: response.headers.get('Location') });
    } catch (error) {
      views.push({ pc, status: error.status, location: null });
    }
  }
  const held = views.filter((view) => view.location);
  const patch = await status(held[0].location, { method: 'PATCH', body: 'a=end-of-candidates\\r\\n',
    headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
  const deletes = [];
  for (const view of held) deletes.push(await status(view.location, { method: 'DELETE' }));
  const again = await status(held[0].location, { method: 'DELETE' });
  views.forEach((view) => view.pc.close());
  return { statuses: views.map((view) => view.status), locations: held.map((view) => view.location),
           patch, deletes, again };
}"""

# Presented frames of the first tile's video, counted by the page itself (a new peer connection, a new
# srcObject, keeps counting); ``resumedAt``: the count when a pause of more than 1.5 s ended.
COUNT_FRAMES = """() => {
  const video = document.querySelector('.tile video');
  window.presented = 0;
  window.lastFrameAt = Date.now();
  window.resumedAt = null;
  const tick = () => {
    const now = Date.now();
    if (now - window.lastFrameAt > 1500) window.resumedAt = window.presented;
    window.presented += 1;
    window.lastFrameAt = now;
    video.requestVideoFrameCallback(tick);
  };
  video.requestVideoFrameCallback(tick);
}"""


@pytest.fixture(scope="module")
def site(postgres, nats_server, rtsp_server, tmp_path_factory) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("web-cluster")
    with fresh_database(postgres) as url:
        upgrade(url)
        sessions = make_sessionmaker(url)
        with sessions() as db:
            accounts.create_user(db, ADMIN, PASSWORD, "admin", [])
            db.commit()
        camera = rtsp_server.url("vtest")
        nats = nats_server.url
        nodes = {"b": NodeProcess(root, "node-b", url, nats, camera, views_per_user=VIEWS_PER_USER),
                 "a": NodeProcess(root, "node-a", url, nats, camera, roles="web")}
        try:
            for node in nodes.values():
                node.wait_healthy()
            wait_for(lambda: owner(sessions) == "node-b", 60, "node-b owning the camera")
            yield {"nodes": nodes, "sessions": sessions, "root": root, "url": url, "camera": camera,
                   "nats": nats}
        finally:
            for node in nodes.values():
                node.end()
            sessions.kw["bind"].dispose()


def owner(sessions) -> str | None:
    from wawai.cluster.ownership import owners

    with sessions() as db:
        found = [o.node for o in owners(db) if o.camera_id == CAMERA and o.alive]
    return found[0] if found else None


def alive_nodes(sessions) -> set[str]:
    from wawai.cluster.leases import live_nodes

    with sessions() as db:
        return {node.name for node in live_nodes(db)}


def audits(sessions, action: str) -> list[AuditEntry]:
    with sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def segments(sessions) -> list[RecordingSegment]:
    with sessions() as db:
        return list(db.scalars(select(RecordingSegment).where(RecordingSegment.camera_id == CAMERA)
                               .order_by(RecordingSegment.start)))


def test_whep_through_the_web_node_plays_the_camera_the_owner_serves(site, browser_page):
    a = site["nodes"]["a"]
    page = browser_page
    sign_in(page, a.url, ADMIN, PASSWORD)
    result = page.evaluate(FIRST_FRAME, {"camera": CAMERA, "stream": "main"})
    assert result["mode"] == "passthrough"
    # The owner served it, as the user, via node-a; the web node relayed the offer and the answer.
    views = audits(site["sessions"], "live.view")
    assert views and views[-1].user_name == ADMIN
    forwarded = [row for row in audits(site["sessions"], "cluster.forwarded")
                 if row.detail["path"] == f"/api/live/{CAMERA}/whep"]
    assert forwarded and forwarded[-1].user_name == ADMIN and forwarded[-1].detail["via_node"] == "node-a"
    # Closing the viewer sent DELETE to A, which passed it on to the owner.
    assert wait_until(lambda: any(row.detail["method"] == "DELETE"
                                  for row in audits(site["sessions"], "cluster.forwarded")), 10)


def test_a_recording_made_on_the_owner_plays_through_the_web_node(site, browser_page):
    a, b = site["nodes"]["a"], site["nodes"]["b"]
    sessions = site["sessions"]
    wait_for(lambda: len(segments(sessions)) >= 4, 60, "node-b recording four segments")
    rows = segments(sessions)
    assert {row.node for row in rows} == {"node-b"}
    assert not list(a.storage.rglob("*.mp4"))  # the web node records nothing of its own
    # Byte ranges come through A exactly as B stores them.
    token_headers = bearer(site)
    row = rows[1]
    stored = (b.storage / row.path).read_bytes()
    media = httpx.get(f"{a.url}/api/recordings/{CAMERA}/segments/{row.id}.mp4",
                      headers={**token_headers, "Range": "bytes=100-1099"}, timeout=30)
    assert media.status_code == 206, media.text
    assert media.headers["content-range"] == f"bytes 100-1099/{len(stored)}"
    assert media.content == stored[100:1100]
    # So do the thumbnail and a clip exported by B (the node holding the range).
    thumbnail = httpx.get(f"{a.url}/api/recordings/{CAMERA}/segments/{row.id}.jpg", headers=token_headers,
                          timeout=30)
    assert thumbnail.status_code == 200
    assert thumbnail.content == (b.storage / row.path).with_suffix(".jpg").read_bytes()
    clip = httpx.get(f"{a.url}/api/recordings/{CAMERA}/clip.mp4", headers=token_headers, timeout=120,
                     params={"start": f"{rows[1].start:.3f}", "end": f"{rows[2].end:.3f}"})
    assert clip.status_code == 200, clip.text
    assert clip.headers["x-content-sha256"] == hashlib.sha256(clip.content).hexdigest()
    assert float(clip.headers["x-clip-start"]) <= rows[1].start + 0.01
    exports = audits(sessions, "recording.export")
    assert exports and exports[-1].user_name == ADMIN
    # The player on A's recordings page plays it: the picture on screen is one B recorded.
    page = browser_page
    sign_in(page, a.url, ADMIN, PASSWORD)
    chosen = rows[2].start + 0.5
    day = datetime.fromtimestamp(chosen, ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d")
    page.goto(f"{a.url}/static/recordings.html?camera={CAMERA}&day={day}&days=1&zoom=3600"
              f"&start={int((chosen - 600) * 1000)}&at={int(chosen * 1000)}")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert wait_until(lambda: page.evaluate("() => window.wawaiPlayer && window.wawaiPlayer.wallclock()"), 30)
    page.evaluate("() => window.wawaiPlayer.pause()")
    time.sleep(0.3)
    grabbed = page.evaluate(GRAB_FRAME, list(THUMB))
    matched, difference = best_match(grabbed["grey"], reference_frames(b.storage, rows[1:4]))
    assert difference < 12, difference
    assert abs(matched - chosen) <= SEGMENT_GOP
    screenshot(page, "cluster-recording-through-web-node")


SEGMENT_GOP = 2.5  # the vtest mount's keyframe interval (2 s) and one frame


def bearer(site) -> dict[str, str]:
    sessions = site["sessions"]
    with sessions() as db:
        user = accounts.find_user(db, ADMIN)
        assert user is not None
        token = accounts.create_token(db, user, "cluster tests")
        db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_owners_caps_hold_and_patch_and_delete_follow_the_session(site, browser_page):
    a = site["nodes"]["a"]
    page = browser_page
    sign_in(page, a.url, ADMIN, PASSWORD)
    page.goto(f"{a.url}/static/cluster.html")  # off the wall (its tile held a view), to a page without one
    page.wait_for_selector("#cluster-nodes")
    b_stats = site["nodes"]["b"].url + "/api/live/stats"
    headers = bearer(site)
    wait_for(lambda: httpx.get(b_stats, headers=headers, timeout=5).json()["sessions"] == 0, 30,
             "node B with no live view open (the wall's DELETE passed on through A)")
    result = page.evaluate(SESSION_ROUND, {"camera": CAMERA, "count": VIEWS_PER_USER + 1})
    assert result["statuses"] == [201] * VIEWS_PER_USER + [503], result  # B's per-user cap, through A
    assert all(location.startswith("/api/live/sessions/") for location in result["locations"])
    assert result["patch"] == 405  # B's answer: no trickle ICE there
    assert result["deletes"] == [204] * VIEWS_PER_USER
    assert result["again"] == 404
    methods = [row.detail["method"] for row in audits(site["sessions"], "cluster.forwarded")]
    assert "PATCH" in methods and methods.count("DELETE") >= VIEWS_PER_USER


def test_the_cluster_page_shows_nodes_and_owners(site, browser_page):
    a = site["nodes"]["a"]
    page = browser_page
    sign_in(page, a.url, ADMIN, PASSWORD)
    page.goto(f"{a.url}/static/cluster.html")
    page.wait_for_selector("#cluster-nodes tr[data-node='node-b'][data-alive='yes']", timeout=20_000)
    assert page.text_content(f"#cluster-cameras tr[data-camera='{CAMERA}'] .owner") == "node-b"
    assert "node-a" in page.text_content("#cluster-summary")
    assert page.locator("nav a[href='/static/cluster.html']").count() == 1
    screenshot(page, "cluster-page")


def test_the_tile_resumes_by_itself_when_the_owner_changes(site, browser_page):
    a, b = site["nodes"]["a"], site["nodes"]["b"]
    sessions = site["sessions"]
    # A second record node whose name placement ranks below node-b's for this camera: it joins without
    # taking the camera, and takes it when node-b dies.
    name = next(f"node-{n}" for n in range(3, 100)
                if place([CAMERA], {"node-b": 100, f"node-{n}": 100})[CAMERA] == "node-b")
    c = NodeProcess(site["root"], name, site["url"], site["nats"], site["camera"])
    site["nodes"]["c"] = c  # ended with the others
    c.wait_healthy()
    wait_for(lambda: alive_nodes(sessions) == {"node-a", "node-b", name}, 30, f"{name} joining")
    page = browser_page
    sign_in(page, a.url, ADMIN, PASSWORD)
    page.goto(f"{a.url}/static/index.html?grid=1&cameras={CAMERA}")
    wait_playing(page, 1)
    page.evaluate(COUNT_FRAMES)
    assert owner(sessions) == "node-b"
    b.kill()  # kill -9: no goodbye; its lease runs out and the other record node claims the camera
    wait_for(lambda: owner(sessions) == name, 30, f"{name} owning the camera")
    # Same page, nobody touching it: the pictures stopped, then the tile offered again through A, which
    # forwarded to C, and they come again.
    page.wait_for_function("() => window.resumedAt !== null && window.presented > window.resumedAt + 30"
                           " && Date.now() - window.lastFrameAt < 1000", timeout=60_000)
    assert page.locator(".tile").get_attribute("data-live") == "yes"
