"""The deliveries page and the API page in Debian's Chromium against the real app (uvicorn)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integrations.conftest import SECRET, Incidents, site_yaml, start_relay
from tests.integrations.receiver import Receiver
from tests.support.app_fixtures import write_config
from tests.support.browser_fixtures import sign_in
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser]
RECEIVER = Receiver(secret=SECRET, mode="500")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    integrations = f"""\
        poll_seconds: 0.2
        retry_schedule: [0.2, 0.2]
        failing_after: 2
        webhooks:
          - {{name: dinas-pu, url: "{RECEIVER.url}", secret: "{SECRET}", timeout_seconds: 2}}
        """
    write_config(tmp_path)
    return write_config(tmp_path, site=site_yaml(tmp_path, integrations))


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_deliveries_page_marks_the_failing_subscription_and_replays(browser_page, live_server, users,
                                                                     wawai_config, sessions):
    RECEIVER.start()
    relay = start_relay(wawai_config, sessions)
    try:
        Incidents(wawai_config, sessions).raise_one(close=False)
        wait_for(lambda: len(RECEIVER.all()) >= 3, 15, "the failing attempts")
        page = browser_page
        errors = watch_errors(page)
        sign_in(page, live_server.url, users["admin"].name, users["admin"].password)
        page.goto(f"{live_server.url}/static/deliveries.html")
        page.wait_for_selector("body[data-ready=true]")
        row = page.locator("tr[data-subscription='webhook:dinas-pu']")
        assert "failing" in (row.get_attribute("class") or "")
        assert row.locator(".health").inner_text() == "Failing"
        delivery = page.locator("tr[data-state=failed]").first
        assert delivery.is_visible()
        RECEIVER.mode = "ok"
        delivery.locator("button.replay").click()
        wait_for(lambda: len(RECEIVER.accepted()) == 1, 15, "the replayed delivery at the receiver")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        wait_for(lambda: page.locator("tr[data-state=delivered]").count() == 1 or page.reload(), 15,
                 "the delivery shown as delivered")
        assert errors == []
    finally:
        relay.stop()
        RECEIVER.stop()


def test_api_page_renders_the_openapi_document_under_the_csp(browser_page, live_server, users):
    page = browser_page
    errors = watch_errors(page)
    sign_in(page, live_server.url, users["operator"].name, users["operator"].password)
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector("body[data-ready=true]")
    operations = page.locator(".api-op h2").all_text_contents()  # the stylesheet upper-cases h2
    assert any("/api/integrations/deliveries" in text for text in operations), operations[:5]
    assert any("/api/cap/feed.atom" in text for text in operations)
    assert errors == []  # no CSP violation, no script error
    # The deliveries page is for admins: not in an operator's navigation.
    assert page.locator("nav a[href='/static/deliveries.html']").count() == 0
