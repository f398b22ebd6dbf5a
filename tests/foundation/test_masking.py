"""Credentials never reach a log line: through every logger of every package, in messages, arguments,
exception text and tracebacks."""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import pkgutil

import pytest

from wawai.logs import mask_text, mask_url, setup_logging

SECRET = "s3cr3t-Pa55"
URL = f"rtsp://admin:{SECRET}@10.1.2.3:554/Streaming/Channels/101"
PACKAGES = ["wawai", "camera_ingest", "recorder", "analytics", "webui"]
LIBRARY_LOGGERS = ["uvicorn", "uvicorn.error", "uvicorn.access", "alembic.runtime.migration", "aiortc"]


def real_logger_names() -> list[str]:
    """The loggers the code really uses: every module's own, found by importing each module."""
    names = set(LIBRARY_LOGGERS)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.add(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if module.name.endswith("__main__"):
                continue
            # a module that cannot import here still gets its name checked
            with contextlib.suppress(Exception):
                importlib.import_module(module.name)
            names.add(module.name)
    return sorted(names)


@pytest.fixture
def log_output():
    buffer = io.StringIO()
    setup_logging("DEBUG", stream=buffer)
    yield buffer  # (the foundation conftest restores the root logger afterwards)


def test_mask_url_and_text():
    assert mask_url(URL) == "rtsp://***@10.1.2.3:554/Streaming/Channels/101"
    assert mask_url("rtsps://u:p@ss@cam.example/x") == "rtsps://***@cam.example/x"
    assert mask_url("/videos/gate.mp4") == "/videos/gate.mp4"
    assert mask_text(f"open {URL} failed") == "open rtsp://***@10.1.2.3:554/Streaming/Channels/101 failed"
    assert mask_text("/api/events?token=wawai_abc&x=1") == "/api/events?token=***&x=1"
    assert mask_text("mail me at ops@example.org") == "mail me at ops@example.org"


def test_each_package_logger_masks_message_args_and_exceptions(log_output):
    names = real_logger_names()
    for package in PACKAGES:
        assert sum(name.startswith(package + ".") for name in names) >= 1 or package == "wawai", names
    for name in names:
        logger = logging.getLogger(name)
        logger.warning("opening %s", URL)
        logger.warning(f"inline {URL}")
        logger.warning("as dict %r", {"url": URL})
        try:
            raise ConnectionError(f"cannot connect to {URL}")
        except ConnectionError:
            logger.exception("session failed for %s", URL)
        logger.warning("with stack", stack_info=True, extra={"camera": "gate"})
    text = log_output.getvalue()
    assert SECRET not in text
    assert text.count("rtsp://***@10.1.2.3") >= 5 * len(names)
    assert "ConnectionError: cannot connect to rtsp://***@10.1.2.3" in text


def test_handlers_added_elsewhere_see_masked_records(log_output, caplog):
    with caplog.at_level(logging.INFO, logger="camera_ingest.session"):
        logging.getLogger("camera_ingest.session").info("connect %s", URL)
    assert SECRET not in caplog.text
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_websocket_token_in_access_log_is_masked(log_output):
    access = logging.getLogger("uvicorn.error")
    access.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/api/events?token=wawai_x")
    assert "wawai_x" not in log_output.getvalue()
