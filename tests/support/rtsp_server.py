"""A real RTSP server for tests: gst-rtsp-server serving MP4 files on mounts, like a camera would.

Run by Debian's /usr/bin/python3 (python3-gi), not the project's venv:

    /usr/bin/python3 tests/support/rtsp_server.py --port 8554 \
        --mount vtest=/path/vtest.mp4 --mount h265=/path/h265.mp4 \
        --auth-port 8555 --credentials user:secret

Each MP4 plays through qtdemux so real timestamps survive (B-frames, H.265); a file's audio track
(AAC) is served as a second RTP stream. One shared pipeline per mount (like a camera's encoder).
With ``--auth-port`` the same mounts are also served on a second port that demands basic auth.

The server prints one line per event on stdout, which the pytest fixture parses:
    READY <port>
    SESSION-OPEN <mount> <client-id>       (mount prefixed "auth:" on the auth port)
    SESSION-CLOSE <mount> <client-id>
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

USER_ROLE = "user"


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stream_codec(path: str, selector: str) -> str:
    """The codec name of the first stream ``selector`` picks ("v:0", "a"), or "" when there is none."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", selector, "-show_entries", "stream=codec_name",
         "-of", "csv=p=0", path],
        capture_output=True, text=True, check=False,
    ).stdout
    return out.strip().splitlines()[0] if out.strip() else ""


def stream_codecs(path: str) -> tuple[str, str]:
    """(video codec, audio codec or ""), from a sidecar file made on first use.

    Two ffprobe runs per mount and port made every (re)start take seconds on a loaded machine, longer
    than the restart tests allow; the codecs of a file never change, so they are probed once.
    """
    sidecar = Path(path + ".codecs")
    try:
        if sidecar.stat().st_mtime >= Path(path).stat().st_mtime:
            video, _, audio = sidecar.read_text().strip().partition(" ")
            return video, audio
    except OSError:
        pass
    video, audio = stream_codec(path, "v:0") or "h264", stream_codec(path, "a")
    tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}")
    try:
        tmp.write_text(f"{video} {audio}")
        tmp.replace(sidecar)
    except OSError:
        pass  # a read-only media folder: probe again next time
    return video, audio


@functools.cache
def launch_line(path: str) -> str:
    codec, audio = stream_codecs(path)
    if codec == "hevc":
        video = "d.video_0 ! queue ! h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1"
    else:
        video = "d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1"
    line = f'filesrc location="{path}" ! qtdemux name=d {video}'
    if audio:
        line += " d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97"
    return f"( {line} )"


def role_structure(role: str) -> Gst.Structure:
    structure, _ = Gst.Structure.from_string(
        f"{role}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    )
    return structure


def build_server(port: int, mounts: list[tuple[str, str]], credentials: str | None) -> Any:
    """One RTSP server; with ``credentials`` ("user:password") every mount needs basic auth."""
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    if credentials:
        # No default token: a request without credentials is challenged with 401, as cameras do.
        user, password = credentials.split(":", 1)
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", USER_ROLE)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
    points = server.get_mount_points()
    for name, path in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(path))
        factory.set_shared(True)
        if credentials:
            factory.add_role_from_structure(role_structure(USER_ROLE))
        points.add_factory(f"/{name}", factory)
    watch_sessions(server, "auth:" if credentials else "")
    if server.attach(None) == 0:
        emit(f"FAILED attach {port}")
        sys.exit(1)
    return server


_client_count = 0


def watch_sessions(server: Any, prefix: str) -> None:
    """Print SESSION-OPEN/CLOSE lines so the fixture can count RTSP sessions per mount."""

    def on_client(_server: Any, client: Any) -> None:
        global _client_count
        _client_count += 1
        client_id = _client_count
        opened: set[str] = set()

        def on_play(_client: Any, ctx: Any) -> None:
            mount = prefix + ctx.uri.abspath.strip("/").split("/stream=")[0]
            if mount not in opened:
                opened.add(mount)
                emit(f"SESSION-OPEN {mount} {client_id}")

        def on_closed(_client: Any) -> None:
            for mount in sorted(opened):
                emit(f"SESSION-CLOSE {mount} {client_id}")
            opened.clear()

        client.connect("play-request", on_play)
        client.connect("closed", on_closed)

    server.connect("client-connected", on_client)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mount", action="append", default=[], help="name=path.mp4")
    parser.add_argument("--auth-port", type=int, help="also serve every mount here, with basic auth")
    parser.add_argument("--credentials", default="user:secret", help="user:password for --auth-port")
    args = parser.parse_args()

    Gst.init(None)
    mounts = [tuple(item.split("=", 1)) for item in args.mount]
    servers = [build_server(args.port, mounts, None)]
    if args.auth_port:
        servers.append(build_server(args.auth_port, mounts, args.credentials))

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    emit(f"READY {args.port}")
    loop.run()


if __name__ == "__main__":
    main()
