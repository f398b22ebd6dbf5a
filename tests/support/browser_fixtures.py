"""A real browser for tests: Playwright driving Debian's Chromium (never `playwright install`).

Fixtures
    browser        session: a headless Chromium with the flags WebRTC on loopback needs
    browser_page   function: a fresh context (no cookies) and page, closed afterwards
Helper
    sign_in(page, base_url, name, password)   signs in through the real sign-in page

WebRTC on loopback needs, besides the server offering 127.0.0.1: ``--allow-loopback-in-peer-connection``
and ``--disable-features=WebRtcHideLocalIpsWithMdns`` (see shared STREAMING-NOTES). scripts/test.sh runs
the suite in a network namespace with only ``lo``, so WebRTC test traffic stays on this machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("WAWAI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # Tiles hidden behind others or off screen must still count as visible when the test says so.
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (pip) is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, base_url: str, name: str, password: str) -> None:
    page.goto(f"{base_url}/static/login.html")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # The page after sign-in has loaded and shown who is signed in: no navigation is left in flight
    # to race the test's next page.goto.
    page.wait_for_selector(".topbar .user", timeout=15_000)
