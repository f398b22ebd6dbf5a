"""A refused WebSocket handshake (no sign-in) is answered 401 and not logged as an ERROR: anyone can
trigger it, so it must not fill the error log (issue 17)."""

from __future__ import annotations

import logging
import time

import pytest
import websockets

from tests.support.waiting import run_coroutine


@pytest.mark.parametrize(("query", "headers", "status"), [
    ("", {}, 401),
    ("?token=wawai_not-a-token", {}, 401),
    ("", {"Authorization": "Bearer wawai_not-a-token"}, 401),
])
def test_refused_handshake_is_not_an_error(live_server, caplog, query, headers, status):
    url = live_server.url.replace("http://", "ws://") + "/api/events" + query

    async def connect() -> int:
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(url, open_timeout=10, additional_headers=headers):
                pass
        return refused.value.response.status_code

    with caplog.at_level(logging.DEBUG):
        assert run_coroutine(connect()) == status
        # The server logs after its handler returns, which can be just after the client has its answer.
        time.sleep(0.5)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]
