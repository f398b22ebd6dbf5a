"""An exported clip, fetched from the real server by a signed-in supervisor, plays in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.recorder.clips import RECORDED_START
from tests.support.browser_fixtures import sign_in
from wawai.stage import StageContext

PLAY = """async (src) => {
  const video = document.createElement('video');
  video.muted = true;
  video.src = src;
  document.body.appendChild(video);
  await new Promise((ok, fail) => {
    video.onloadedmetadata = ok;
    video.onerror = () => fail(new Error('media error ' + (video.error && video.error.code)));
  });
  await video.play();
  await new Promise((ok) => {
    const tick = () => video.currentTime > 1.5 ? ok() : setTimeout(tick, 100);
    tick();
  });
  const played = video.currentTime;
  video.currentTime = 20;  // past two segment boundaries of the recording
  await new Promise((ok) => { video.onseeked = ok; });
  const quality = video.getVideoPlaybackQuality();
  return {duration: video.duration, width: video.videoWidth, height: video.videoHeight, played,
          seeked: video.currentTime, frames: quality.totalVideoFrames,
          error: video.error && video.error.code};
}"""


@pytest.mark.browser
def test_exported_clip_plays_and_seeks_in_chromium(recorded: StageContext, live_server, browser_page,
                                                   users) -> None:
    supervisor = users["supervisor"]
    sign_in(browser_page, live_server.url, supervisor.name, supervisor.password)
    src = f"/api/recordings/north-gate/clip.mp4?start={RECORDED_START + 3}&end={RECORDED_START + 27}"
    result: dict[str, Any] = browser_page.evaluate(PLAY, src)
    assert result["error"] is None
    assert (result["width"], result["height"]) == (640, 480)
    # Starts at the keyframe at 2 s, so 25 s: the asked 24 s plus less than one keyframe interval.
    assert 24.0 <= result["duration"] <= 26.0
    assert result["played"] > 1.5
    assert result["seeked"] == pytest.approx(20, abs=0.5)
    assert result["frames"] > 0
