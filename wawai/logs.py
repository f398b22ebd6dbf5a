"""Logging setup: one format for the whole program, and credential masking in every record.

Camera URLs carry passwords (``rtsp://admin:secret@10.1.2.3/...``). Any log line can end up holding one:
a message, an argument, an exception's text, a traceback. ``install_masking`` wraps the log-record
factory so every record is masked when it is created, whichever logger or handler it goes through,
and ``CredentialFilter`` does the same for handlers that someone configures separately.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# scheme://userinfo@  -- userinfo is everything up to the last '@' before the path or whitespace,
# so a password holding a raw '@' is still hidden entirely.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s?#]*@")
_MASK = "***"
# Secrets passed in a query string (WebSocket ?token=, camera URLs with ?password=).
_SECRET_PARAM = re.compile(
    r"(?P<key>[?&](?:token|access_token|api_key|password|passwd|pwd)=)[^&\s\"'#]+", re.IGNORECASE
)


def mask_text(text: str) -> str:
    """``text`` with every URL's user:password and secret query values replaced by ``***``."""
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{_MASK}@", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(lambda m: f"{m.group('key')}{_MASK}", text)
    return text


def mask_url(url: str) -> str:
    """A URL safe to show: ``rtsp://user:secret@host/x`` -> ``rtsp://***@host/x``; file paths unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if "@" not in parts.netloc:
        return mask_text(url)
    host = parts.netloc.rsplit("@", 1)[1]
    masked = urlunsplit((parts.scheme, f"{_MASK}@{host}", parts.path, parts.query, parts.fragment))
    return mask_text(masked)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message, its arguments and any exception or stack text of ``record``, in place."""
    if getattr(record, "_wawai_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what we can, masked
        message = f"{record.msg} {record.args}"
    record.msg = mask_text(message)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        # Format the exception now (as Formatter would) so the traceback text is masked too.
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = mask_text(text)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    record._wawai_masked = True
    return record


class CredentialFilter(logging.Filter):
    """A filter for handlers: masks credentials, never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


_installed = False


def install_masking() -> None:
    """Mask every record at creation, for all loggers (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (as logging's last resort does),
    so replacing or closing an earlier stderr (pytest capture, daemons) never breaks logging."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def setup_logging(level: str | int = "INFO", stream: IO[str] | None = None) -> None:
    """Install the one format and credential masking on the root logger; safe to call twice."""
    install_masking()
    root = logging.getLogger()
    root.setLevel(level)
    for old in list(root.handlers):
        if getattr(old, "_wawai", False):
            root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler(stream) if stream else StderrHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(CredentialFilter())
    handler._wawai = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Libraries that log URLs on their own handlers: route them through the root handler instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lib = logging.getLogger(name)
        lib.handlers.clear()
        lib.propagate = True
