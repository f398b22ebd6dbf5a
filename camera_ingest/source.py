"""Opening a stream URL or file with PyAV, and turning failures into one clear, masked line."""

from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import av
import av.container

from wawai.logs import mask_text, mask_url

# Measured: FFmpeg's default probing takes 2-5 s to open an RTSP stream; these keys make it ~0.07 s.
RTSP_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32768"}
DEFAULT_RTSP_PORT = 554
RESTART_POLL = 0.2  # seconds between TCP probes while a camera's port refuses connections
LISTENING_POLL = 0.5  # ...and while it still listens after a lost stream (watching for it to go down)
RESTART_SETTLE = 0.2  # between the port listening again and the RTSP attempt


def is_file(url: str) -> bool:
    return "://" not in url


class SourceError(Exception):
    """A stream could not be opened or read; ``permanent`` faults need a person (credentials, path)."""

    def __init__(self, reason: str, *, permanent: bool, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.refused = refused  # nothing listened: the camera or its server is down


@dataclass(frozen=True)
class Timeouts:
    open: float
    read: float


def open_source(url: str, timeouts: Timeouts) -> av.container.InputContainer:
    """Open ``url``. The open as a whole is bounded by PyAV's timeout; reads by FFmpeg's own socket timeout
    (``timeout``, microseconds per socket operation). PyAV's read timeout works through an interrupt
    callback that FFmpeg calls several times per RTP packet and that takes the GIL each time: with many
    cameras that was a measurable share of the reader threads' CPU (bench/record.py)."""
    started = time.monotonic()
    try:
        if is_file(url):
            return av.open(url, "r")
        options = {**RTSP_OPTIONS, "timeout": str(round(timeouts.read * 1_000_000))}
        return av.open(url, "r", options=options, timeout=(timeouts.open, None))
    except (av.error.TimeoutError, TimeoutError):
        # A socket operation of the handshake got no answer within the read timeout.
        raise SourceError(
            f"timed out after {timeouts.read:g} s waiting for {mask_url(url)} to answer", permanent=False
        ) from None
    except av.error.InvalidDataError as exc:
        # FFmpeg's RTSP demuxer reports a timed-out handshake as invalid data: tell them apart by time.
        if not is_file(url) and time.monotonic() - started >= timeouts.open * 0.9:
            raise SourceError(
                f"timed out after {timeouts.open:g} s waiting for {mask_url(url)} to answer", permanent=False
            ) from None
        raise describe_error(exc, url) from None
    except av.error.ExitError:
        # The open timeout fired: something listens but does not answer RTSP in time.
        raise SourceError(
            f"timed out after {timeouts.open:g} s waiting for {mask_url(url)} to answer", permanent=False
        ) from None
    except Exception as exc:
        raise describe_error(exc, url) from None


def describe_error(exc: BaseException, url: str) -> SourceError:
    """One line that says what went wrong, with any credentials masked; never the password."""
    where = mask_url(url)
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, av.error.HTTPUnauthorizedError):
        return SourceError(f"wrong credentials: the camera refused them (401) at {where}", permanent=True)
    if isinstance(exc, av.error.HTTPForbiddenError):
        return SourceError(f"access forbidden (403) at {where}", permanent=True)
    if isinstance(exc, av.error.HTTPNotFoundError):
        return SourceError(f"unknown path: the camera answered 404 Not Found for {where}", permanent=True)
    if isinstance(exc, (av.error.FileNotFoundError, FileNotFoundError)):
        return SourceError(f"file not found: {where}", permanent=True)
    if isinstance(exc, av.error.ConnectionRefusedError):
        return SourceError(
            f"connection refused by {_host_port(url)} (is the camera or server up?)", permanent=False,
            refused=True,
        )
    if isinstance(exc, av.error.ExitError | av.error.TimeoutError | TimeoutError):
        # While reading, FFmpeg's socket timeout (or PyAV's interrupt callback) fired: the socket is
        # open, no data comes. (A timed-out open is told apart in open_source.)
        return SourceError(f"no data within the read timeout (stream stalled) from {where}", permanent=False)
    if isinstance(exc, av.error.HTTPError):
        return SourceError(f"the camera answered with an error: {_strerror(exc)} ({where})", permanent=False)
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return SourceError(f"host unreachable: {_host_port(url)}", permanent=False)
    if isinstance(exc, av.error.InvalidDataError):
        if is_file(url):
            return SourceError(f"not a video file: {where}", permanent=True)
        return SourceError(f"no usable stream from {where} (unreachable or not a stream)", permanent=False)
    return SourceError(mask_text(f"{type(exc).__name__}: {_strerror(exc)} ({where})"), permanent=False)


def _strerror(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return mask_text(str(text))


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or DEFAULT_RTSP_PORT}"


def check_reachable(url: str, timeout: float) -> None:
    """A plain TCP connect first, so 'host unreachable' and 'timed out' are told apart from RTSP faults."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or DEFAULT_RTSP_PORT
    if not host:
        raise SourceError(f"no host in {mask_url(url)}", permanent=True)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except socket.gaierror:
        raise SourceError(f"unknown host: {host}", permanent=True) from None
    except ConnectionRefusedError:
        raise SourceError(
            f"connection refused by {host}:{port} (nothing listens there)", permanent=False, refused=True
        ) from None
    except TimeoutError:
        raise SourceError(
            f"timed out connecting to {host}:{port} (host unreachable?)", permanent=False
        ) from None
    except OSError as exc:
        raise SourceError(
            f"host unreachable: {host}:{port} ({exc.strerror or exc})", permanent=False
        ) from None


def wait_for_restart(
    url: str, seconds: float, stop: threading.Event, *, seen_down: bool, settle: float = RESTART_SETTLE
) -> bool:
    """Wait up to ``seconds``; return True early once the camera's port, seen refusing, accepts TCP again.

    After a lost or refused connection the camera or its server may be restarting. Plain TCP connects
    open no RTSP session and cost the camera nothing, so a restarted camera is back within a fraction of
    a second instead of at the next backoff step (1, 2, 5, 10, 30 s), which still paces full RTSP
    attempts against a camera that keeps listening but keeps failing: only a down-then-up transition
    ends the wait early (a server that closes streams while it stays up is not hammered).
    Measured with bench/reconnect.py.
    """
    parts = urlsplit(url)
    address = (parts.hostname or "", parts.port or DEFAULT_RTSP_PORT)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        # Poll briskly while the port refuses (a restart is under way), gently while it still listens.
        interval = RESTART_POLL if seen_down else LISTENING_POLL
        if stop.wait(min(interval, left)):
            return False
        try:
            with socket.create_connection(address, timeout=RESTART_POLL):
                pass
        except ConnectionRefusedError:
            seen_down = True
            continue
        except OSError:
            continue
        if not seen_down:
            continue
        # A booting camera (or server) listens just before it answers RTSP: give it a moment.
        stop.wait(min(settle, max(0.0, deadline - time.monotonic())))
        return True
    return False
