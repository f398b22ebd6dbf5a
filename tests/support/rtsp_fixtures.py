"""A real RTSP server for tests (gst-rtsp-server, run by Debian's /usr/bin/python3), as pytest fixtures.

Fixtures
    rtsp_media            session: {mount name: Path} of every MP4 served (made once, cached in tmp)
    rtsp_server           session: one shared ``RtspServer`` for the whole run (do not kill it)
    rtsp_server_private   function: a server of your own, same mounts, for kill/restart/freeze tests

Mounts (``MOUNTS``)
    vtest      shared footage, walkway, 640x480 10 fps H.264 baseline, GOP 2 s
    vtest30    its first 30 s
    people     indoor, one person at a time, 768x432 10 fps
    cars       car park from above, 768x432 12.5 fps
    h265       vtest as H.265 (x265 ultrafast), GOP 2 s
    bframes    vtest as H.264 High with 2 B-frames, GOP 2 s
    hd1080     test pattern 1920x1080 15 fps H.264, GOP 2 s
    hd720      vtest scaled to 1280x720 15 fps H.264, keyframe every 4 s
    gop1       vtest with a keyframe every 1 s
    aac        vtest30 plus a 1 kHz AAC audio track
    slices     vtest as H.264 with 4 slices per picture (several NAL units share one timestamp)
Every file is looped (stream copy) to several minutes, so a shared pipeline does not end during a run.

``RtspServer`` API (stable; recorder, analytics and live tests use it)
    server.url("vtest")                      -> "rtsp://127.0.0.1:PORT/vtest"
    server.url_with_auth("vtest")            -> the same mount on the auth port, right credentials
    server.url_with_auth("vtest", password="wrong")   (wrong credentials: the server answers 401)
    server.user, server.password             the credentials of the auth port
    server.media_path("vtest")               -> Path of the MP4 behind a mount
    server.sessions("vtest")                 RTSP sessions open now on that mount (counted by the server;
                                             the auth port's sessions count under "auth:vtest")
    server.sessions_total("vtest")           sessions ever opened on that mount (this server process)
    server.wait_sessions("vtest", n, timeout=5.0) -> bool, waits until sessions(mount) == n
    server.kill()        SIGKILL (like a camera losing power); server.restart() starts it on the same ports
    server.freeze() / server.thaw()          SIGSTOP / SIGCONT: sockets stay open, no data (a stall)
    server.alive                             whether the process runs
Only kill/restart/freeze ``rtsp_server_private``; the shared one serves other tests at the same time.

Outside pytest (benchmarks): ``RtspServer(build_media() | {...}, log_path)`` then ``.start()`` / ``.stop()``;
any {mount: mp4} mapping works (bench/ingest.py serves one 720p mount per camera). ``free_port()`` gives
a free loopback port. Media are cached in ``media_cache_dir()`` (tmp), made once under a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from wawai.assets import find_asset

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
MEDIA_VERSION = "v2"  # bump when the recipes below change, so cached files are made again
LOOP_COPIES = 6  # each file is served looped this many times (stream copy)

VTEST = "video/vtest_640x480_h264.mp4"
VTEST30 = "video/vtest_640x480_30s_h264.mp4"
PEOPLE = "video/intel_one-by-one-person_768x432_60s_h264.mp4"
CARS = "video/intel_car-detection_768x432_h264.mp4"

X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]

# mount -> (source asset or None for a test pattern, ffmpeg arguments between input and output)
RECIPES: dict[str, tuple[str | None, list[str]]] = {
    "h265": (
        VTEST30,
        [
            "-t",
            "20",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "keyint=20:min-keyint=20:open-gop=0:log-level=error",
            "-tag:v",
            "hvc1",
            "-an",
        ],
    ),
    "bframes": (
        VTEST30,
        [
            "-t",
            "20",
            *X264,
            "-profile:v",
            "high",
            "-bf",
            "2",
            "-g",
            "20",
            "-keyint_min",
            "20",
            "-sc_threshold",
            "0",
            "-an",
        ],
    ),
    "hd1080": (
        None,
        [
            "-t",
            "20",
            *X264,
            "-preset",
            "ultrafast",
            "-b:v",
            "1500k",
            "-g",
            "30",
            "-keyint_min",
            "30",
            "-sc_threshold",
            "0",
            "-bf",
            "0",
        ],
    ),
    "hd720": (
        VTEST,
        [
            "-t",
            "20",
            "-vf",
            "scale=1280:720,fps=15",
            *X264,
            "-b:v",
            "1500k",
            "-g",
            "60",
            "-keyint_min",
            "60",
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-an",
        ],
    ),
    "gop1": (
        VTEST30,
        ["-t", "20", *X264, "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-bf", "0", "-an"],
    ),
    "slices": (VTEST30, ["-t", "20", *X264, "-bf", "0", "-g", "20", "-x264-params", "slices=4", "-an"]),
}
SHARED = {"vtest": VTEST, "vtest30": VTEST30, "people": PEOPLE, "cars": CARS}
MOUNTS = [*SHARED, *RECIPES, "aac"]


def media_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"wawai-rtsp-media-{MEDIA_VERSION}"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", *args], check=True, timeout=600)


def _loop_copy(source: Path, target: Path) -> None:
    tmp = target.with_suffix(".tmp.mp4")
    _ffmpeg(
        "-stream_loop",
        str(LOOP_COPIES - 1),
        "-i",
        str(source),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        str(tmp),
    )
    tmp.replace(target)


def build_media(cache: Path | None = None) -> dict[str, Path]:
    """Make (once) every MP4 the server plays; safe when several pytest runs start together."""
    cache = cache or media_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    missing = [
        rel for rel in {*SHARED.values(), *(src for src, _ in RECIPES.values() if src)} if not find_asset(rel)
    ]
    if missing:
        pytest.skip(f"test footage missing: {', '.join(sorted(missing))} (see wawai.assets.asset_dirs())")
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        media: dict[str, Path] = {}
        for mount, shared in SHARED.items():
            media[mount] = _cached(cache, mount, partial(_loop_copy, _asset(shared)))
        for mount, (source, args) in RECIPES.items():
            media[mount] = _cached(cache, mount, partial(_encode, cache, source, args))
        media["aac"] = _cached(cache, "aac", partial(_with_audio, cache))
        return media


def _asset(rel: str) -> Path:
    path = find_asset(rel)
    assert path is not None
    return path


def _cached(cache: Path, mount: str, make: Callable[[Path], None]) -> Path:
    target = cache / f"{mount}.mp4"
    if not target.exists():
        make(target)
    return target


def _encode(cache: Path, rel: str | None, args: list[str], target: Path) -> None:
    once = cache / f"{target.stem}.once.mp4"
    if rel is None:
        source = ["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=15"]
    else:
        source = ["-i", str(_asset(rel))]
    _ffmpeg(*source, *args, str(once))
    _loop_copy(once, target)
    once.unlink()


def _with_audio(cache: Path, target: Path) -> None:
    once = cache / "aac.once.mp4"
    _ffmpeg(
        "-i",
        str(_asset(VTEST30)),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=48000",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-ac",
        "1",
        "-shortest",
        str(once),
    )
    _loop_copy(once, target)
    once.unlink()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """One gst-rtsp-server process; see the module docstring for the API."""

    host = "127.0.0.1"
    user = "viewer"
    password = "s3cret-Pa55"  # test-only; the auth port's credentials

    def __init__(self, media: dict[str, Path], log_path: Path) -> None:
        self.media = media
        self.port = free_port()
        self.auth_port = free_port()
        self.log_path = log_path
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._open: dict[str, set[str]] = {}
        self._total: Counter[str] = Counter()
        self._frozen = False

    # --- urls ----------------------------------------------------------------------------------

    def url(self, mount: str) -> str:
        self._known(mount)
        return f"rtsp://{self.host}:{self.port}/{mount}"

    def url_with_auth(self, mount: str, user: str | None = None, password: str | None = None) -> str:
        self._known(mount)
        return f"rtsp://{user or self.user}:{password or self.password}@{self.host}:{self.auth_port}/{mount}"

    def media_path(self, mount: str) -> Path:
        self._known(mount)
        return self.media[mount]

    def _known(self, mount: str) -> None:
        if mount not in self.media:
            raise KeyError(f"no mount {mount!r}; mounts: {', '.join(sorted(self.media))}")

    # --- sessions ------------------------------------------------------------------------------

    def sessions(self, mount: str) -> int:
        with self._lock:
            return len(self._open.get(mount, ()))

    def sessions_total(self, mount: str) -> int:
        with self._lock:
            return self._total[mount]

    def wait_sessions(self, mount: str, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sessions(mount) == count:
                return True
            time.sleep(0.05)
        return self.sessions(mount) == count

    # --- process control -----------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:  # 15 s was short on a 2-core machine under load
        if self.alive:
            return
        command = [
            SYSTEM_PYTHON,
            str(SERVER_SCRIPT),
            "--port",
            str(self.port),
            "--auth-port",
            str(self.auth_port),
            "--credentials",
            f"{self.user}:{self.password}",
        ]
        for mount, path in self.media.items():
            command += ["--mount", f"{mount}={path}"]
        stderr = open(self.log_path, "a")  # noqa: SIM115 - the child keeps it open
        self._proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1)
        stderr.close()
        ready = threading.Event()
        self._reader = threading.Thread(target=self._read_events, args=(self._proc, ready), daemon=True)
        self._reader.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"RTSP test server did not start; see {self.log_path}")
        self._frozen = False

    def _read_events(self, proc: subprocess.Popen[str], ready: threading.Event) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "READY":
                ready.set()
            elif parts[0] in ("SESSION-OPEN", "SESSION-CLOSE") and len(parts) == 3:
                mount, client = parts[1], parts[2]
                with self._lock:
                    if parts[0] == "SESSION-OPEN":
                        self._open.setdefault(mount, set()).add(client)
                        self._total[mount] += 1
                    else:
                        self._open.get(mount, set()).discard(client)
        with self._lock:
            self._open.clear()  # the process is gone, and every session with it

    def kill(self) -> None:
        """SIGKILL: the sockets close at once, like a camera losing power."""
        if self._proc is None:
            return
        if self._frozen:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections stay open but nothing is sent or answered (a stalled camera)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)
        self._frozen = False

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._frozen:
            self.thaw()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._proc = None


def rtsp_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON) or shutil.which("ffmpeg") is None:
        return False
    check = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0');from gi.repository import GstRtspServer",
        ],
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


@pytest.fixture(scope="session")
def rtsp_media() -> dict[str, Path]:
    if not rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) or ffmpeg is not installed")
    return build_media()


@contextlib.contextmanager
def running_server(media: dict[str, Path], log_dir: Path) -> Iterator[RtspServer]:
    server = RtspServer(media, log_dir / "rtsp-server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rtsp_server(
    rtsp_media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RtspServer]:
    with running_server(rtsp_media, tmp_path_factory.mktemp("rtsp-shared")) as server:
        yield server


@pytest.fixture
def rtsp_server_private(rtsp_media: dict[str, Path], tmp_path: Path) -> Iterator[RtspServer]:
    with running_server(rtsp_media, tmp_path) as server:
        yield server
