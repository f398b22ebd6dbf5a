"""The recordings page and its player in a real Chromium, on the shared recording (gap included)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.playback.browser_support import (
    GRAB_FRAME,
    THUMB,
    best_match,
    open_page,
    page_url,
    reference_frames,
    screenshot,
)
from tests.playback.recording_site import TIMEZONE, RecordingSite
from tests.support.waiting import wait_until
from wawai.db.audit import AuditEntry

pytestmark = [pytest.mark.rtsp, pytest.mark.browser]
GOP_SECONDS = 2.0  # the RTSP mounts' keyframe interval
FRAME_SECONDS = 0.1  # 10 fps
GAPS = """nodes => nodes.map(n => ({reason: n.dataset.reason, start: +n.dataset.start / 1000,
  end: +n.dataset.end / 1000, label: n.getAttribute('aria-label'),
  width: n.getBoundingClientRect().width}))"""


def wallclock(page) -> float | None:
    value = page.evaluate("() => window.wawaiPlayer && window.wawaiPlayer.wallclock()")
    return None if value is None else value / 1000


def test_timeline_shows_the_outage_as_an_offline_gap_and_hover_shows_a_thumbnail(
        recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    open_page(page, site, "admin", page_url(site, "gate"))
    gaps = page.eval_on_selector_all(".tl-gap", GAPS)
    outage = [g for g in gaps
              if g["start"] < site.gap[1] and g["end"] > site.gap[0] and g["end"] - g["start"] > 5]
    assert len(outage) == 1, gaps
    assert outage[0]["reason"] == "offline" and "camera offline" in outage[0]["label"]
    assert outage[0]["width"] > 5  # visible at 1 hour across (about 20 s of 3,600)
    assert page.locator(".tl-range").count() >= 2  # recorded before and after
    # Hover over recorded time: the segment's keyframe thumbnail appears.
    box = page.locator("#timeline").bounding_box()
    rows = site.segments("gate")
    at = rows[1].start + 1
    view_start = site.started_at - 600
    page.mouse.move(box["x"] + box["width"] * (at - view_start) / 3600, box["y"] + 50)
    assert wait_until(lambda: page.evaluate(
        "() => { const i = document.querySelector('.tl-hover img'); return !i.closest('figure').hidden && "
        "i.complete && i.naturalWidth === 160; }"), 10)
    screenshot(page, "timeline-hover")
    # A click plays from there.
    page.mouse.click(box["x"] + box["width"] * (rows[2].start + 1 - view_start) / 3600, box["y"] + 50)
    assert wait_until(lambda: wallclock(page) is not None, 20)
    assert (wallclock(page) or 0) == pytest.approx(rows[2].start + 1, abs=GOP_SECONDS + 2)
    page.mouse.move(box["x"], box["y"] + 200)
    screenshot(page, "timeline")


def test_playback_from_a_wall_clock_time_shows_that_frame(recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("gate")
    chosen = rows[2].start + 1.3
    open_page(page, site, "admin", page_url(site, "gate", at=chosen))
    assert wait_until(lambda: wallclock(page) is not None, 20)
    page.evaluate("() => window.wawaiPlayer.pause()")
    time.sleep(0.3)
    grabbed = page.evaluate(GRAB_FRAME, list(THUMB))
    frames = reference_frames(site.ctx.storage, [r for r in rows if abs(r.start - chosen) < 12])
    matched, difference = best_match(grabbed["grey"], frames)
    assert difference < 12, difference  # it is one of the recorded pictures
    assert abs(matched - chosen) <= GOP_SECONDS
    # The player's wall clock names the frame on screen (within a frame of the decoded match).
    assert grabbed["state"]["wallclock"] / 1000 == pytest.approx(matched, abs=FRAME_SECONDS * 1.5)
    clock_text = page.text_content(".player-clock")
    local = datetime.fromtimestamp(matched, ZoneInfo(TIMEZONE)).strftime("%H:%M:%S")
    assert local[:5] in clock_text  # shown in the site's time zone (Asia/Jakarta)


def test_4x_speed_advances_about_4_seconds_per_second(recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("yard")
    open_page(page, site, "supervisor", page_url(site, "yard", at=rows[1].start))
    assert wait_until(lambda: wallclock(page) is not None, 20)
    page.focus(".player")
    for _ in range(2):
        page.keyboard.press("]")  # 1x -> 2x -> 4x
    assert page.evaluate("() => window.wawaiPlayer.state().rate") == 4
    time.sleep(1.0)  # settle into the new speed
    first, started = wallclock(page), time.monotonic()
    time.sleep(4.0)
    last, ended = wallclock(page), time.monotonic()
    assert first is not None and last is not None
    speed = (last - first) / (ended - started)
    assert 3.2 <= speed <= 4.4, speed


def test_frame_step_moves_one_frame_interval_each_way(recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("yard")
    open_page(page, site, "admin", page_url(site, "yard", at=rows[2].start + 2))
    assert wait_until(lambda: wallclock(page) is not None, 20)
    page.focus(".player")
    page.keyboard.press(" ")  # pause
    assert wait_until(lambda: page.evaluate("() => window.wawaiPlayer.state().paused"), 5)
    time.sleep(0.3)
    before = wallclock(page)
    page.keyboard.press(".")
    assert wait_until(lambda: wallclock(page) != before, 5)
    after = wallclock(page)
    assert before is not None and after is not None
    assert after - before == pytest.approx(FRAME_SECONDS, abs=0.02)
    page.keyboard.press(",")
    assert wait_until(lambda: wallclock(page) != after, 5)
    back = wallclock(page)
    assert back == pytest.approx(before, abs=0.02)
    page.keyboard.press("ArrowRight")  # +10 s
    assert wait_until(lambda: (wallclock(page) or 0) - before > 9.5, 10)


def test_h265_recordings_are_listed_and_the_page_says_the_browser_cannot_play_them(
        recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("h265")
    open_page(page, site, "operator", page_url(site, "h265", at=rows[1].start))
    assert page.locator(".tl-range").count() >= 1
    notice = page.locator(".player-notice")
    notice.wait_for(state="visible", timeout=15_000)
    assert "H.265" in notice.text_content()
    assert page.evaluate("() => window.wawaiPlayer.state().error") == "hevc"


def test_a_selected_range_exports_an_audited_clip_and_the_url_reopens_the_same_view(
        recording_site: RecordingSite, browser_page):
    site, page = recording_site, browser_page
    rows = site.segments("yard")
    open_page(page, site, "supervisor", page_url(site, "yard"))
    box = page.locator("#timeline").bounding_box()
    view_start = site.started_at - 600

    def x(at: float) -> float:
        return box["x"] + box["width"] * (at - view_start) / 3600

    page.mouse.move(x(rows[1].start), box["y"] + 50)
    page.mouse.down()
    page.mouse.move(x(rows[1].start + 15), box["y"] + 50, steps=5)
    page.mouse.move(x(rows[1].start + 30), box["y"] + 50, steps=5)  # 13 px at 1 h across: a drag
    page.mouse.up()
    link = page.locator("#export")
    link.wait_for(state="visible", timeout=5_000)
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/api/recordings/yard/clip.mp4?")
    answer = page.request.get(site.server.url + href)
    assert answer.status == 200 and len(answer.headers["x-content-sha256"]) == 64
    assert answer.body()[4:8] == b"ftyp"
    with site.ctx.sessions() as db:
        exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "recording.export")).all()
    assert any(e.user_name == site.users["supervisor"].name and e.camera_id == "yard" for e in exports)
    # Click to play; the address then holds camera, zoom and time: opening it shows the same.
    page.mouse.click(x(rows[2].start + 1), box["y"] + 50)
    assert wait_until(lambda: wallclock(page) is not None, 20)
    page.evaluate("() => window.wawaiPlayer.pause()")
    # The address is written at most every 0.2 s. Wait in the page: Playwright's sync client only
    # learns of history.replaceState while it is called, so page.url can lag behind a sleep.
    page.wait_for_function("() => new URLSearchParams(location.search).has('at')", timeout=10_000)
    shared = page.evaluate("() => location.href")
    assert "camera=yard" in shared and "zoom=3600" in shared and "at=" in shared
    played = wallclock(page)
    other = page.context.new_page()
    other.goto(shared)
    other.wait_for_selector("body[data-ready=true]", timeout=30_000)
    shown = "() => window.wawaiPlayer && window.wawaiPlayer.wallclock()"
    assert wait_until(lambda: other.evaluate(shown), 20)
    reopened = other.evaluate(shown) / 1000
    assert played is not None and abs(reopened - played) <= GOP_SECONDS
    assert other.eval_on_selector("#camera", "s => s.value") == "yard"
