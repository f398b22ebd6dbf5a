"""A local map tile server for the map tests: /{z}/{x}/{y}.png, each tile generated as a PNG that shows
its own z/x/y (a checkerboard, so neighbouring tiles differ). Counts what it served."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def tile_png(z: int, x: int, y: int) -> bytes:
    shade = 70 if (x + y) % 2 else 110
    picture = np.full((256, 256, 3), (shade, shade + 20, shade), np.uint8)
    cv2.rectangle(picture, (0, 0), (255, 255), (200, 200, 200), 1)
    cv2.putText(picture, f"{z}/{x}/{y}", (10, 128), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    ok, encoded = cv2.imencode(".png", picture)
    assert ok
    return encoded.tobytes()


class TileServer:
    def __init__(self) -> None:
        self.served: list[tuple[int, int, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                match = TILE.match(self.path)
                if not match:
                    self.send_error(404)
                    return
                z, x, y = (int(part) for part in match.groups())
                server.served.append((z, x, y))
                body = tile_png(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="tile-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
