"""wait_for_restart: after a lost or refused connection, reconnect as soon as the camera's port is back."""

import socket
import threading
import time

from camera_ingest.source import wait_for_restart
from tests.support.rtsp_fixtures import free_port


def _listener(port: int) -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    return server


def _wait_while(action, port: int, *, seen_down: bool) -> tuple[bool, float]:
    """Run ``action(listen)`` in a thread while wait_for_restart waits (30 s step) on ``port``.

    ``listen()`` opens a listener on the port, closed at the end. Returns (back, seconds waited).
    """
    servers: list[socket.socket] = []

    def listen() -> socket.socket:
        servers.append(_listener(port))
        return servers[-1]

    threading.Thread(target=action, args=(listen,)).start()
    started = time.monotonic()
    try:
        back = wait_for_restart(f"rtsp://127.0.0.1:{port}/cam", 30.0, threading.Event(), seen_down=seen_down)
        return back, time.monotonic() - started
    finally:
        for server in servers:
            server.close()


def test_returns_once_the_port_listens_not_at_the_end_of_the_backoff():
    def listen_later(listen) -> None:
        time.sleep(0.7)
        listen()

    back, waited = _wait_while(listen_later, free_port(), seen_down=True)
    assert back
    assert 0.7 <= waited < 30.0  # woke for the listener, not at the end of the 30 s backoff step


def test_a_port_that_goes_down_and_comes_back_ends_the_wait():
    """A lost stream (the server still listening at first): the restart is seen, the wait ends early."""
    port = free_port()
    server = _listener(port)

    def restart(listen) -> None:
        time.sleep(0.6)
        server.close()  # down...
        time.sleep(0.8)
        listen()  # ...and back

    back, waited = _wait_while(restart, port, seen_down=False)
    assert back and 1.4 <= waited < 30.0


def test_a_port_that_keeps_listening_waits_the_whole_step():
    """A server that closed the stream but stays up is retried at the backoff pace, not hammered."""
    port = free_port()
    server = _listener(port)
    try:
        started = time.monotonic()
        back = wait_for_restart(f"rtsp://127.0.0.1:{port}/cam", 1.2, threading.Event(), seen_down=False)
        assert not back and time.monotonic() - started >= 1.2
    finally:
        server.close()


def test_waits_the_whole_delay_while_nothing_listens_and_stops_on_request():
    url = f"rtsp://127.0.0.1:{free_port()}/cam"
    started = time.monotonic()
    assert not wait_for_restart(url, 1.2, threading.Event(), seen_down=True)
    assert time.monotonic() - started >= 1.2
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    wait_for_restart(url, 30.0, stop, seen_down=True)
    assert time.monotonic() - started < 30.0
