"""Supervisors in Chromium against a real node: the shared footage from the real RTSP server, real ingest,
recorder and analytics (yolox-nano), the real web app on uvicorn. One node, one browser, per module.

The camera is named like an XSS attack, on purpose: every page must show it as text. Screenshots of every
page in both languages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

import analytics
import camera_ingest
import recorder
from tests.analytics.helpers import WALK
from tests.incidents.conftest import add_incident
from tests.support.app_fixtures import PASSWORD, LiveServer, write_config
from tests.support.browser_fixtures import sign_in
from tests.support.rtsp_fixtures import running_server
from tests.support.waiting import wait_for
from wawai import accounts
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.recordings import SERVICE_NAME
from wawai.stage import STAGES_SERVICE, StageContext
from webui.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.rtsp]

XSS = '<img src=x onerror="window.__xss=1">'
CAMERA = "walkway"
GOP_SECONDS = 2.0  # the vtest mount: a keyframe every 2 s
JAKARTA = ZoneInfo("Asia/Jakarta")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
USERS = {"sup-a": ("supervisor", []), "sup-b": ("supervisor", []), "op": ("operator", []),
         "boss": ("admin", []), "rsu-sup": ("supervisor", ["RSU A. Yani"])}


@dataclass
class Node:
    ctx: StageContext
    server: LiveServer
    started: float

    @property
    def url(self) -> str:
        return self.server.url


def site(root: Path) -> str:
    return yaml.safe_dump({
        "site": {"name": "Metro", "timezone": "Asia/Jakarta"},
        "storage": {"path": str(root / "data"), "min_free_bytes": 0},
        "detector": {"model": "yolox-nano", "model_dirs": ["models"], "threads": 2},
        "defaults": {"record": {"segment_seconds": 4}},
        "incidents": {"pre_seconds": 4, "post_seconds": 4, "acknowledge_within": {"critical": 2}},
    })


def camera(url: str) -> str:
    return yaml.safe_dump({
        "name": XSS, "group": "Dinas PUTR", "streams": {"main": url},
        "detect": {"fps": 5, "objects": ["person"]},
        "zones": [{"name": "walkway", "polygon": WALK}],
        "rules": [{"name": "walkway-entry", "type": "intrusion", "zone": "walkway", "objects": ["person"],
                   "cooldown": 8, "severity": "high"}],
    })


@pytest.fixture(scope="module")
def walkway_server(rtsp_media, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # One mount of our own: the full shared server takes over 20 s to start on a loaded machine.
    with running_server({"vtest": rtsp_media["vtest"]}, tmp_path_factory.mktemp("rtsp-walkway")) as server:
        yield server


@pytest.fixture(scope="module")
def node(walkway_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root = tmp_path_factory.mktemp("incident-browser")
    config = load_config(write_config(root, cameras={f"{CAMERA}.yaml": camera(walkway_server.url("vtest"))},
                                      site=site(root)))
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    with sessions() as db:
        for name, (role, groups) in USERS.items():
            accounts.create_user(db, name, PASSWORD, role, groups)
        db.commit()
    bus = EventBus()
    ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus, sessions=sessions)
    stages = [recorder.create_stage(ctx), analytics.create_stage(ctx)]
    ctx.services[STAGES_SERVICE] = stages
    ctx.hub.start()
    for stage in stages:
        stage.start()
    server = LiveServer(create_app(ctx))
    server.start()
    try:
        yield Node(ctx, server, time.time())
    finally:
        server.stop()
        for stage in reversed(stages):
            stage.stop()
        ctx.hub.stop()
        sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def pages(browser, node: Node) -> Iterator[dict[str, Any]]:
    """One browser context per person (the browser's own zone is New York: times must still be Jakarta's)."""
    opened: dict[str, Any] = {}
    contexts = []
    for name in ("sup-a", "sup-b", "op", "boss", "rsu-sup", "wall"):
        context = browser.new_context(viewport={"width": 1500, "height": 900}, timezone_id="America/New_York")
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error, page=page: page.errors.append(str(error)))
        if name == "wall":
            sign_in(page, node.url, "sup-a", PASSWORD)  # through the real sign-in page once
        else:  # the context's request shares its cookies: no wall (and no live video) per person
            login = {"name": name, "password": PASSWORD}
            answer = context.request.post(f"{node.url}/api/auth/login", data=login)
            assert answer.ok, answer.status
        opened[name] = page
    yield opened
    for context in contexts:
        context.close()


# When each queue row and alert first appeared (page clock, ms since the epoch), keyed by its selector.
APPEARANCES = """() => {
  window.__appeared = {};
  const note = () => {
    const found = '#queue-table tr[data-incident], #alert-list li.alert[data-incident]';
    for (const el of document.querySelectorAll(found)) {
      const sel = el.tagName === 'TR' ? `#queue-table tr[data-incident="${el.dataset.incident}"]`
        : `#alert-list li.alert[data-incident="${el.dataset.incident}"]`;
      if (!(sel in window.__appeared)) window.__appeared[sel] = Date.now();
    }
  };
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true });
}"""


def recorded_since(node: Node) -> float | None:
    service = node.ctx.services[SERVICE_NAME]
    ranges = service.overview(CAMERA, node.started - 60, time.time() + 60).ranges
    return ranges[0].start if ranges else None


@pytest.fixture(scope="module")
def incident(node: Node, pages) -> Iterator[dict[str, Any]]:
    """The first incident raised by the rule once the recording holds its whole pre-roll, and when the test
    heard of it. The queue and the wall are open before it happens."""
    pages["sup-a"].goto(f"{node.url}/static/queue.html")
    pages["sup-a"].wait_for_selector("#queue-table")
    pages["wall"].goto(f"{node.url}/static/index.html")
    pages["wall"].wait_for_selector("#alert-list li")
    for name in ("sup-a", "wall"):
        pages[name].evaluate(APPEARANCES)
    queue = node.ctx.bus.subscribe()
    try:
        def qualifying() -> dict[str, Any] | None:
            message = queue.get(timeout=0.5)
            if message is None or message["type"] != "incident.created":
                return None
            since = recorded_since(node)
            clip_start = message["incident"]["clip_start"]
            return message if since is not None and clip_start >= since + GOP_SECONDS else None

        found = wait_for(qualifying, timeout=120, what="an incident.created after the pre-roll was recorded")
        yield {"message": found, "heard": time.time()}
    finally:
        node.ctx.bus.unsubscribe(queue)


def test_incident_appears_in_queue_and_alerts_within_2_s(pages, incident) -> None:
    ident = incident["message"]["id"]
    for name, selector in (("sup-a", f'#queue-table tr[data-incident="{ident}"]'),
                           ("wall", f'#alert-list li.alert[data-incident="{ident}"]')):
        # Waiting is not the bound: the page's own clock says when the element appeared.
        pages[name].wait_for_selector(selector, timeout=10_000)
        appeared = pages[name].evaluate("(sel) => window.__appeared[sel]", selector)
        assert appeared is not None, name
        late = appeared / 1000 - incident["heard"]
        assert late <= 2.0, f"{name}: {late:.2f} s after incident.created"
    row = pages["sup-a"].locator(f'#queue-table tr[data-incident="{ident}"]')
    assert row.locator("td.camera").text_content() == XSS  # the name as text, never as markup
    started = datetime.fromisoformat(incident["message"]["started_at"]).astimezone(JAKARTA)
    assert started.strftime("%H:%M:%S") in row.locator("time").text_content()  # site time, not New York's


def test_clip_plays_from_within_one_gop_of_its_pre_roll(node, pages, incident) -> None:
    ident = incident["message"]["id"]
    page = pages["sup-a"]
    page.goto(f"{node.url}/static/incident.html?id={ident}")
    # The shared player marks the wall-clock time of the first frame it showed; then the clip plays on.
    page.wait_for_function("() => document.querySelector('#incident-clip')?.dataset.clipStart",
                           timeout=30_000)
    began = page.evaluate("() => document.querySelector('#incident-clip video').currentTime")
    advanced = "(t0) => document.querySelector('#incident-clip video').currentTime > t0 + 1.0"
    page.wait_for_function(advanced, arg=began, timeout=30_000)
    clip_start = float(page.get_attribute("#incident-clip", "data-clip-start"))
    pre_roll = incident["message"]["incident"]["clip_start"]
    # The player shows the frame recorded at the pre-roll: at most one frame interval (10 fps) after it.
    assert pre_roll - GOP_SECONDS - 0.05 <= clip_start <= pre_roll + 0.1
    assert page.locator("#incident-snapshot img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_attribute("#incident-live", "href").endswith(f"cameras={CAMERA}")


SHOWS_STATUS = "(want) => document.querySelector('[data-fact=\"incident.status\"]')?.textContent === want"


def test_two_supervisors_work_the_incident_and_see_each_other_live(node, pages, incident) -> None:
    ident = incident["message"]["id"]
    a, b, op = pages["sup-a"], pages["sup-b"], pages["op"]
    for page in (a, b, op):
        page.goto(f"{node.url}/static/incident.html?id={ident}")
        page.wait_for_selector('[data-fact="incident.status"]')
    b.evaluate("() => { window.__sameDocument = true; }")
    assert not op.locator('button[data-action="resolve"]').count()  # not offered to operators
    refused = op.evaluate("""async (id) => { const { request } = await import('/static/js/api.js');
        try { await request(`/api/incidents/${id}/resolve`, { method: 'POST', json: {} }); return 200; }
        catch (error) { return error.status; } }""", ident)
    assert refused == 403

    steps = [("acknowledge", "acknowledged", None), ("assign", "assigned", "sup-b"),
             ("hold", "on hold", None), ("resolve", "resolved", None)]
    for action, shown, assignee in steps:
        a.fill("#incident-note", f"{action} note {XSS}")
        if assignee:
            a.fill("#incident-assignee", assignee)
        a.click(f'button[data-action="{action}"]')
        for page in (a, b):  # b: pushed, without a reload
            page.wait_for_function(SHOWS_STATUS, arg=shown, timeout=5000)
    assert b.evaluate("() => window.__sameDocument === true")  # updated live, never reloaded
    assert b.locator('[data-fact="incident.assignee"]').text_content() == "sup-b"
    b.wait_for_function("() => document.querySelectorAll('#incident-history li').length === 4", timeout=5000)
    history = [li.get_attribute("data-action") for li in b.locator("#incident-history li").all()]
    assert history == ["acknowledge", "assign", "hold", "resolve"]
    assert b.locator("#incident-history li .note").last.text_content() == f"resolve note {XSS}"

    # An invalid transition from the queue's keyboard: acknowledge a resolved incident.
    a.goto(f"{a.url.split('/static')[0]}/static/queue.html?status=resolved")
    a.wait_for_selector(f'#queue-table tr[data-incident="{ident}"].selected')
    a.keyboard.press("a")
    a.wait_for_function("() => document.querySelector('.message.error')?.textContent.length > 0",
                        timeout=5000)
    assert a.locator(".message.error").text_content() == \
        "Cannot “Acknowledge” now: the incident is resolved."

    boss = pages["boss"]
    boss.goto(f"{node.url}/static/audit.html?action=incident.")
    boss.wait_for_selector("#audit-table tbody tr[data-id]")
    actions = boss.locator("#audit-table td.action").all_text_contents()
    for action, _, _ in steps:
        assert f"incident.{action}" in actions
    boss.click("#audit-verify")
    boss.wait_for_function("() => document.querySelector('#audit-chain').textContent.startsWith('Intact')")
    assert "-----BEGIN PUBLIC KEY-----" in boss.locator("#audit-pubkey pre").text_content()


def test_department_limited_supervisor_cannot_open_it(node, pages, incident) -> None:
    ident = incident["message"]["id"]
    page = pages["rsu-sup"]
    page.goto(f"{node.url}/static/incident.html?id={ident}")
    page.wait_for_selector(".message.error")
    assert page.locator(".message.error").text_content() == \
        "This incident does not exist or is outside your departments."
    for path in (f"/api/incidents/{ident}", f"/api/incidents/{ident}/snapshot.jpg",
                 f"/api/incidents/{ident}/history"):
        assert page.request.get(f"{node.url}{path}").status in (403, 404), path


def test_overdue_incident_is_red_with_a_sound_on_wall_and_queue(node, pages) -> None:
    queue, wall = pages["sup-b"], pages["wall"]
    queue.goto(f"{node.url}/static/queue.html")
    queue.wait_for_selector("#queue-table")
    wall.goto(f"{node.url}/static/index.html")
    wall.wait_for_selector("#alert-list li")
    late = add_incident(node.ctx.sessions, camera=CAMERA, severity="critical", rule="panic-button",
                        at=time.time() - 5)
    queue.wait_for_selector(f'#queue-table tr.overdue[data-incident="{late}"]', timeout=10_000)
    wall.wait_for_selector(f'#alert-list li.alert.overdue[data-incident="{late}"]', timeout=10_000)
    for page in (queue, wall):
        assert int(page.evaluate("() => document.body.dataset.alarms || '0'")) >= 1


PAGE_PATHS = ["/static/index.html", "/static/queue.html", "/static/incident.html?id={id}",
              "/static/audit.html"]

# Every visible text and labelled attribute on the page.
PAGE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && node.parentElement.closest('script,style')) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title],[alt]')) {
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
  }
  out.push(document.title);
  return out;
}"""


def untranslated(page: Any) -> list[str]:
    tables = page.evaluate("async () => (await import('/static/js/i18n.js')).TABLES")
    english = [(key, text) for key, text in tables["en"].items() if tables["id"].get(key) != text]
    patterns = [re.compile("^" + re.sub(r"\\\{\w+\\\}", ".*", re.escape(text)) + "$", re.S)
                for _key, text in english]
    return sorted({text for text in page.evaluate(PAGE_TEXTS) if any(p.match(text) for p in patterns)})


def settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the last live update's re-render; screenshots only, no assertion on time


def test_every_page_in_both_languages_inert_and_screenshotted(node, pages, incident) -> None:
    ident = incident["message"]["id"]
    page = pages["boss"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "id"):
        page.goto(f"{node.url}/static/queue.html")
        page.wait_for_selector("#language-select")
        if page.eval_on_selector("#language-select", "s => s.value") != language:
            with page.expect_navigation():  # the switch reloads the page in the new language
                page.select_option("#language-select", language)
            page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=language)
        for path in PAGE_PATHS:
            page.goto(node.url + path.format(id=ident))
            page.wait_for_selector(".topbar .user")
            settle(page)
            name = path.split("/")[-1].split(".")[0]
            page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)
            assert page.evaluate("() => window.__xss") is None, path
            assert page.locator('img[src="x"]').count() == 0, path
            if language == "id":
                assert untranslated(page) == [], path
                assert page.locator("html").get_attribute("lang") == "id"
        if language == "id":
            started = datetime.fromisoformat(incident["message"]["started_at"]).astimezone(JAKARTA)
            page.goto(f"{node.url}/static/queue.html")
            row = page.wait_for_selector(f'#queue-table tr[data-incident="{ident}"] time')
            assert started.strftime("%H.%M.%S") in row.text_content()  # Indonesian clock, site zone
    context = page.context.browser.new_context()  # the sign-in page, signed out
    try:
        login = context.new_page()
        for language in ("en", "id"):
            login.goto(f"{node.url}/static/login.html")
            login.evaluate("(lang) => localStorage.setItem('wawai.language', lang)", language)
            login.reload()
            login.wait_for_selector("#login-form")
            login.screenshot(path=str(SHOTS / f"login-{language}.png"))
            if language == "id":
                assert untranslated(login) == []
    finally:
        context.close()
    page.select_option("#language-select", "en")
    assert all(not p.errors for p in pages.values()), {n: p.errors for n, p in pages.items() if p.errors}
