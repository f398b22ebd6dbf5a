"""The RTSP test server itself: mounts serve what they claim, sessions are counted, auth is enforced."""

from __future__ import annotations

import av
import pytest

from tests.support.rtsp_fixtures import RtspServer

pytestmark = pytest.mark.rtsp

OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32768"}


def open_rtsp(url: str) -> av.container.InputContainer:
    return av.open(url, options=dict(OPTIONS), timeout=(5, 5))


@pytest.mark.parametrize(
    ("mount", "codec", "width", "audio"),
    [
        ("vtest", "h264", 640, None),
        ("h265", "hevc", 640, None),
        ("hd1080", "h264", 1920, None),
        ("hd720", "h264", 1280, None),
        ("aac", "h264", 640, "aac"),
    ],
)
def test_mount_serves_its_stream(
    rtsp_server: RtspServer, mount: str, codec: str, width: int, audio: str | None
):
    with open_rtsp(rtsp_server.url(mount)) as container:
        video = container.streams.video[0].codec_context
        assert (video.name, video.width) == (codec, width)
        audio_names = [s.codec_context.name for s in container.streams.audio]
        assert audio_names == ([audio] if audio else [])


def test_sessions_are_counted_on_the_server(rtsp_server: RtspServer):
    before = rtsp_server.sessions_total("gop1")
    with open_rtsp(rtsp_server.url("gop1")) as container:
        next(container.demux(container.streams.video[0]))
        assert rtsp_server.wait_sessions("gop1", 1)
    assert rtsp_server.wait_sessions("gop1", 0)
    assert rtsp_server.sessions_total("gop1") == before + 1


def test_auth_port_demands_the_right_credentials(rtsp_server: RtspServer):
    with open_rtsp(rtsp_server.url_with_auth("vtest30")) as container:
        assert container.streams.video
    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(rtsp_server.url_with_auth("vtest30", password="wrong"))
