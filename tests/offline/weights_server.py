"""A real HTTP server on loopback that serves detector weights the way a release page would, or badly.

Paths: ``/good.onnx`` (the bytes as given), ``/wrong.onnx`` (same length, one byte changed) and
``/cut.onnx`` (announces the full length, sends half, then closes the connection). It counts requests.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WeightsServer:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests[self.path] += 1
                body = server.body(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(server.payload)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="weights-http", daemon=True)

    def body(self, path: str) -> bytes | None:
        if path == "/good.onnx":
            return self.payload
        if path == "/wrong.onnx":
            middle = len(self.payload) // 2
            return self.payload[:middle] + bytes([self.payload[middle] ^ 0xFF]) + self.payload[middle + 1 :]
        if path == "/cut.onnx":
            return self.payload[: len(self.payload) // 2]
        return None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
