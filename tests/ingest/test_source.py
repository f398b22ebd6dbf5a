"""wait_for_listener: after a refused connection, reconnect as soon as the camera's port listens again."""

import socket
import threading
import time

from camera_ingest.source import wait_for_listener
from tests.support.rtsp_fixtures import free_port


def test_returns_once_the_port_listens_not_at_the_end_of_the_backoff():
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def listen_later() -> None:
        time.sleep(0.7)
        server.bind(("127.0.0.1", port))
        server.listen()

    threading.Thread(target=listen_later).start()
    started = time.monotonic()
    try:
        wait_for_listener(f"rtsp://127.0.0.1:{port}/cam", 30.0, threading.Event())
        waited = time.monotonic() - started
    finally:
        server.close()
    assert 0.7 <= waited < 30.0  # woke for the listener, not at the end of the 30 s backoff step


def test_waits_the_whole_delay_while_nothing_listens_and_stops_on_request():
    url = f"rtsp://127.0.0.1:{free_port()}/cam"
    started = time.monotonic()
    wait_for_listener(url, 1.2, threading.Event())
    assert time.monotonic() - started >= 1.2
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    wait_for_listener(url, 30.0, stop)
    assert time.monotonic() - started < 30.0
