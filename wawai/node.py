"""The worker process: ingest hub, stages and the web server in one asyncio loop, one StageContext.

Started by the supervisor as ``python -m wawai.node --config DIR`` (the command line holds no camera
URL). SIGTERM/SIGINT stop the web server, then the stages, then the hub.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from wawai.config.errors import ConfigInvalid
from wawai.config.schema import WebSection
from wawai.logs import setup_logging
from wawai.runtime import build_runtime
from webui.app import create_app

log = logging.getLogger("wawai.node")  # not __main__ when run with -m

EXIT_CONFIG = 78  # EX_CONFIG: the site config is unusable


def web_server_config(app: Any, web: WebSection) -> uvicorn.Config:
    """uvicorn's settings for the node. Forwarded headers (X-Forwarded-For) are believed only from
    ``web.trusted_proxies``: uvicorn's default trusts them from 127.0.0.1, which let any local process
    (or a request forged through one) pick the address that sign-in limits count and the audit records."""
    proxies = list(web.trusted_proxies)
    return uvicorn.Config(
        app, host=web.host, port=web.port, log_config=None, lifespan="on", timeout_graceful_shutdown=2,
        server_header=False, proxy_headers=bool(proxies), forwarded_allow_ips=proxies or [],
    )


async def serve(config_dir: Path) -> int:
    runtime = build_runtime(config_dir)
    web = runtime.ctx.config.site.web
    server = uvicorn.Server(web_server_config(create_app(runtime.ctx), web))
    reloader = runtime.reloader
    if reloader is not None:
        # SIGHUP reloads the config (the handler only queues the request; the reload runs in a thread).
        signal.signal(signal.SIGHUP, lambda _signum, _frame: reloader.request("sighup"))
    try:
        runtime.start()
        log.info("web server on http://%s:%d", web.host, web.port)
        await server.serve()
    except SystemExit as exc:  # uvicorn exits when it cannot bind the port
        log.error("web server stopped: exit %s", exc.code)
        return 1
    finally:
        runtime.stop()
        log.info("node stopped")
    return 0 if server.started else 1


def _note_signal(signum: int, _frame: FrameType | None) -> None:
    # uvicorn handles the signal while it serves and re-raises it afterwards; landing here lets the
    # node stop its stages instead of dying mid-way.
    log.info("node: got %s", signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wawai-node")
    parser.add_argument("--config", default="config")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    signal.signal(signal.SIGTERM, _note_signal)
    signal.signal(signal.SIGINT, _note_signal)
    try:
        return asyncio.run(serve(Path(args.config)))
    except ConfigInvalid as exc:
        for error in exc.errors:
            log.error("config: %s", error)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
