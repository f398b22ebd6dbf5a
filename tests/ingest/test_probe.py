"""``wawai camera probe``: facts of real streams, and one clear line (no password) for each failure."""

from __future__ import annotations

import json

import pytest

from tests.support.rtsp_fixtures import RtspServer
from wawai.cli import main

pytestmark = pytest.mark.rtsp


def probe_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["camera", "probe", *args, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return code, json.loads(out[0])


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        (
            "hd720",
            {
                "codec": "h264",
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "keyframe_interval": 4.0,
                "b_frames": False,
                "audio_codec": None,
                "profile": "High",
            },
        ),
        ("bframes", {"codec": "h264", "b_frames": True, "keyframe_interval": 2.0, "fps": 10.0}),
        ("h265", {"codec": "hevc", "profile": "Main", "width": 640}),
        ("aac", {"audio_codec": "aac", "profile": "Constrained Baseline"}),
        ("gop1", {"keyframe_interval": 1.0}),
    ],
)
def test_probe_reports_stream_facts(rtsp_server: RtspServer, capsys, mount: str, expected: dict):
    code, facts = probe_json(capsys, rtsp_server.url(mount))
    assert code == 0
    assert {key: facts[key] for key in expected} == expected


def test_probe_prints_readable_lines(rtsp_server: RtspServer, capsys):
    assert main(["camera", "probe", rtsp_server.url("vtest30")]) == 0
    out = capsys.readouterr().out
    assert "h264" in out and "640x480" in out and "B-frames:          no" in out


def test_wrong_credentials_one_line_without_password(rtsp_server: RtspServer, capsys):
    password = "N0t-the-Pa55"
    code = main(["camera", "probe", rtsp_server.url_with_auth("vtest", password=password)])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "wrong credentials" in lines[0]
    assert password not in captured.err + captured.out


def test_unknown_path(rtsp_server: RtspServer, capsys):
    code, result = probe_json(capsys, rtsp_server.url("vtest").replace("/vtest", "/nothing-here"))
    assert code == 1 and "unknown path" in result["error"]


def test_unreachable_port(rtsp_server: RtspServer, capsys):
    from tests.support.rtsp_fixtures import free_port

    code, result = probe_json(capsys, f"rtsp://127.0.0.1:{free_port()}/cam")
    assert code == 1 and "connection refused" in result["error"]


def test_timeout(rtsp_server_private: RtspServer, capsys):
    rtsp_server_private.freeze()
    try:
        code, result = probe_json(capsys, rtsp_server_private.url("vtest"), "--timeout", "2")
    finally:
        rtsp_server_private.thaw()
    assert code == 1 and "timed out" in result["error"]


def test_not_a_video_stream(tmp_path, capsys):
    audio_only = tmp_path / "tone.m4a"
    import subprocess

    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(audio_only)],
        check=True,
    )
    code, result = probe_json(capsys, str(audio_only))
    assert code == 1 and "not a video stream" in result["error"]
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    code, result = probe_json(capsys, str(text))
    assert code == 1 and "not a video" in result["error"]
