"""A webhook receiver run by the tests: a real HTTP server on loopback that checks every signature with
the ``standardwebhooks`` package (an implementation independent of Wawai's) and records what arrived.

``mode`` decides the answer: "ok" (204), "500", "410", "redirect" (307 to /elsewhere), "hang" (never
answers within the sender's timeout), "429" (429 with Retry-After: ``retry_after`` seconds, once per
event, then 204). ``stop()`` closes the port (connection refused); ``start()`` opens it again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support.app_fixtures import free_port


@dataclass
class Arrival:
    id: str
    type: str
    data: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.time() on arrival
    body: bytes
    answered: int
    path: str


@dataclass
class Receiver:
    secret: str
    mode: str = "ok"
    retry_after: int = 2
    hang_seconds: float = 5.0
    port: int = field(default_factory=free_port)
    arrivals: list[Arrival] = field(default_factory=list)  # every request, verified, whatever the answer
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _slowed: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="test-receiver", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:
            with self.lock:
                self.bad_signatures += 1
            request.send_response(400)
            request.end_headers()
            return
        envelope = json.loads(body)
        status, extra = self._answer(envelope["id"])
        with self.lock:
            self.arrivals.append(Arrival(envelope["id"], envelope["type"], envelope["data"], headers,
                                         time.time(), body, status, request.path))
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
        try:
            request.send_response(status)
            for name, value in extra.items():
                request.send_header(name, value)
            request.send_header("content-length", "0")
            request.end_headers()
        except OSError:
            pass  # the sender gave up waiting

    def _answer(self, event_id: str) -> tuple[int, dict[str, str]]:
        if self.mode == "500":
            return 500, {}
        if self.mode == "410":
            return 410, {}
        if self.mode == "redirect":
            return 307, {"location": f"http://127.0.0.1:{self.port}/elsewhere"}
        if self.mode == "429":
            with self.lock:
                first = event_id not in self._slowed
                self._slowed.add(event_id)
            if first:
                return 429, {"retry-after": str(self.retry_after)}
        return 204, {}

    def accepted(self) -> list[Arrival]:
        """Arrivals answered 2xx, duplicates removed (first kept), in arrival order."""
        seen: set[str] = set()
        unique: list[Arrival] = []
        with self.lock:
            for arrival in self.arrivals:
                if 200 <= arrival.answered < 300 and arrival.id not in seen:
                    seen.add(arrival.id)
                    unique.append(arrival)
        return unique

    def all(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)
