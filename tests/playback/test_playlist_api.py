"""Playlists and media from the index of a real recording (RTSP camera stopped for 10 s in the middle)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime
from itertools import pairwise

import httpx
import pytest

from tests.playback.recording_site import GAP_SECONDS, SEGMENT_SECONDS, RecordingSite
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rtsp


def get(site: RecordingSite, path: str, role: str | None = "admin", **kwargs):
    headers = site.bearer(role) if role else {}
    return httpx.get(site.server.url + path, headers={**headers, **kwargs.pop("headers", {})}, timeout=30,
                     **kwargs)


def playlist_text(site: RecordingSite, camera: str, start: float, end: float, role: str = "admin") -> str:
    answer = get(site, f"/api/recordings/{camera}/playlist.m3u8?start={start}&end={end}", role)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    return answer.text


def entries(text: str) -> list[dict]:
    """Per media segment: its program date time, duration, byte range, map and whether a discontinuity
    came before it."""
    found: list[dict] = []
    pending: dict = {"discontinuity": False}
    for line in text.splitlines():
        if line == "#EXT-X-DISCONTINUITY":
            pending["discontinuity"] = True
        elif line.startswith("#EXT-X-MAP:"):
            pending["map"] = line
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            stamp = line.split(":", 1)[1]
            pending["pdt"] = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
            pending["pdt_text"] = stamp
        elif line.startswith("#EXTINF:"):
            pending["duration"] = float(line[8:].rstrip(","))
        elif line.startswith("#EXT-X-BYTERANGE:"):
            pending["range"] = line.split(":", 1)[1]
        elif line and not line.startswith("#"):
            found.append({**pending, "uri": line})
            pending = {"discontinuity": False}
    return found


def test_playlist_is_hls7_with_a_map_and_date_time_on_every_segment_and_a_discontinuity_at_the_gap(
        recording_site: RecordingSite):
    site = recording_site
    rows = site.segments("gate")
    text = playlist_text(site, "gate", rows[0].start, rows[-1].end)
    lines = text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:7"]
    assert lines[-1] == "#EXT-X-ENDLIST"  # the range is over
    found = entries(text)
    assert len(found) == len(rows)
    for entry, row in zip(found, rows, strict=True):
        assert row.init_bytes is not None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["pdt_text"])
        assert entry["pdt"] == pytest.approx(row.start, abs=0.001)
        assert entry["duration"] == pytest.approx(row.end - row.start, abs=0.001)
        assert entry["uri"] == f"segments/{row.id}.mp4"
        assert entry["map"] == f'#EXT-X-MAP:URI="{entry["uri"]}",BYTERANGE="{row.init_bytes}@0"'
        assert entry["range"] == f"{row.bytes - row.init_bytes}@{row.init_bytes}"
    # The gap: the wall clock jumps by about the outage, and a discontinuity stands before it.
    jumps = [(later["pdt"] - (earlier["pdt"] + earlier["duration"]), later)
             for earlier, later in pairwise(found)]
    big = [(jump, later) for jump, later in jumps if jump > 1.0]
    assert len(big) == 1, [j for j, _ in jumps]
    jump, after_gap = big[0]
    down, up = site.gap  # wall clock while the camera's server was killed
    before_gap = found[found.index(after_gap) - 1]
    assert before_gap["pdt"] + before_gap["duration"] <= down + 0.5  # nothing recorded once it was down
    assert after_gap["pdt"] >= up  # ...until it was back
    assert GAP_SECONDS <= jump < 60
    assert after_gap["discontinuity"]
    assert all(e["discontinuity"] for e in found[1:])  # every file restarts its timestamps at zero
    assert not found[0]["discontinuity"]


def test_playlist_without_endlist_while_the_range_reaches_into_the_future(recording_site):
    site = recording_site
    now = time.time()
    text = playlist_text(site, "yard", now - 60, now + 300)
    assert "#EXT-X-ENDLIST" not in text and "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    before = len(entries(text))
    # The next segment closes (one SEGMENT_SECONDS later, when the recorder keeps up): the playlist grows.
    assert wait_until(lambda: len(entries(playlist_text(site, "yard", now - 60, now + 300))) > before,
                      SEGMENT_SECONDS + 30, interval=0.5)


def test_ffprobe_plays_the_playlist_with_a_bearer_token_and_its_duration_matches_the_index(
        recording_site: RecordingSite):
    site = recording_site
    rows = site.segments("gate")
    start, end = rows[0].start, rows[-1].end
    url = f"{site.server.url}/api/recordings/gate/playlist.m3u8?start={start}&end={end}"
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-headers", f"Authorization: Bearer {site.users['admin'].token}\r\n",
         "-count_packets", "-show_entries", "format=duration:stream=codec_name,width,height,nb_read_packets",
         "-of", "json", url],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    probed = json.loads(done.stdout)
    indexed = sum(r.end - r.start for r in rows)
    assert float(probed["format"]["duration"]) == pytest.approx(indexed, abs=SEGMENT_SECONDS)
    [stream] = probed["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 480)
    # Every frame of the index was read through the byte ranges (10 fps), not just the playlist.
    assert int(stream["nb_read_packets"]) == pytest.approx(sum(r.frames or 0 for r in rows), abs=2)
    assert abs(int(stream["nb_read_packets"]) - indexed * 10) <= 10 * SEGMENT_SECONDS


def test_media_is_the_stored_file_served_by_byte_range(recording_site: RecordingSite):
    site = recording_site
    row = site.segments("gate")[1]
    assert row.init_bytes is not None
    stored = (site.ctx.storage / row.path).read_bytes()
    head = get(site, f"/api/recordings/gate/segments/{row.id}.mp4",
               headers={"Range": f"bytes=0-{row.init_bytes - 1}"})
    assert head.status_code == 206 and head.content == stored[:row.init_bytes]
    assert head.content[4:8] == b"ftyp"
    rest = get(site, f"/api/recordings/gate/segments/{row.id}.mp4",
               headers={"Range": f"bytes={row.init_bytes}-"})
    assert rest.status_code == 206 and rest.content == stored[row.init_bytes:]
    assert rest.content[4:8] == b"moof"
    # The thumbnail is made at its first request, then kept beside the file (another test of this shared
    # site may have asked for it already: start without it).
    kept = (site.ctx.storage / row.path).with_suffix(".jpg")
    kept.unlink(missing_ok=True)
    thumb = get(site, f"/api/recordings/gate/segments/{row.id}.jpg")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert kept.read_bytes() == thumb.content
    at = get(site, f"/api/recordings/gate/thumbnail.jpg?at={row.start + 1}")
    assert at.status_code == 200 and at.content == thumb.content


def test_a_group_limited_user_gets_neither_playlist_nor_media_of_another_group(recording_site):
    site = recording_site
    yard = site.segments("yard")
    gate = site.segments("gate")
    start, end = yard[0].start, yard[-1].end
    assert get(site, f"/api/recordings/gate/playlist.m3u8?start={start}&end={end}", "operator").status_code \
        == 200
    refused = [
        get(site, f"/api/recordings/yard/playlist.m3u8?start={start}&end={end}", "operator"),
        get(site, f"/api/recordings/yard/segments/{yard[0].id}.mp4", "operator"),
        get(site, f"/api/recordings/yard/segments/{yard[0].id}.jpg", "operator"),
        get(site, f"/api/recordings/yard/thumbnail.jpg?at={start + 1}", "operator"),
        get(site, f"/api/recordings/yard/activity?start={start}&end={end}", "operator"),
    ]
    assert [r.status_code for r in refused] == [404] * 5  # like a camera that does not exist
    # URL guessing: another camera's segment id under a camera the user may see.
    for row in yard[:3]:
        guessed = get(site, f"/api/recordings/gate/segments/{row.id}.mp4", "operator")
        assert guessed.status_code == 404 and "detail" in guessed.json()
        assert get(site, f"/api/recordings/gate/segments/{row.id}.jpg", "operator").status_code == 404
    assert get(site, f"/api/recordings/gate/segments/{gate[0].id}.mp4", "operator").status_code == 200
    assert get(site, f"/api/recordings/gate/segments/{gate[0].id}.mp4", None).status_code == 401
    assert get(site, f"/api/recordings/gate/playlist.m3u8?start={start}&end={end}", None).status_code == 401


@pytest.mark.parametrize(("query", "detail"), [
    ("start=yesterday&end=1", "neither ISO-8601"),
    ("start=100&end=50", "end must be after start"),
    ("start=0&end=200000", "at most 24 hours"),
])
def test_bad_ranges_get_a_one_line_400(recording_site, query: str, detail: str):
    answer = get(recording_site, f"/api/recordings/gate/playlist.m3u8?{query}")
    assert answer.status_code == 400 and detail in answer.json()["detail"]


def test_h265_recordings_are_listed(recording_site: RecordingSite):
    site = recording_site
    rows = site.segments("h265")
    assert rows and {r.codec for r in rows} == {"hevc"}
    found = entries(playlist_text(site, "h265", rows[0].start, rows[-1].end))
    assert len(found) == len(rows)
