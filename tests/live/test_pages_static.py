"""Static checks of the pages: no inline script, no HTML built from strings, every UI string translatable."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "webui" / "static"
SCRIPTS = sorted((STATIC / "js").glob("*.js"))
PAGES = sorted(STATIC.glob("*.html"))


def table_keys(language: str) -> set[str]:
    source = (STATIC / "js" / "i18n.js").read_text()
    start = source.index(f"\n  {language}: {{")
    table = source[start : source.index("\n  },\n", start)]
    return set(re.findall(r'^\s+"([\w.]+)":', table, re.MULTILINE))


def english_keys() -> set[str]:
    return table_keys("en")


def test_every_english_string_has_a_bahasa_indonesia_text():
    missing = sorted(english_keys() - table_keys("id"))
    assert not missing, f"strings without a Bahasa Indonesia text in i18n.js: {missing}"


def test_pages_have_no_inline_scripts_or_handlers():
    for page in PAGES:
        html = page.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{page.name}: inline <script> (the CSP forbids it)"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{page.name}: inline event handler"
        assert "style=" not in html, f"{page.name}: inline style (the CSP forbids it)"


def test_scripts_never_parse_strings_as_html():
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
    for script in SCRIPTS:
        code = re.sub(r"^\s*//.*$", "", script.read_text(), flags=re.MULTILINE)  # comments may name them
        for sink in sinks:
            assert sink not in code, f"{script.name} uses {sink}"


def test_every_ui_string_has_an_english_text():
    keys = english_keys()
    used: set[str] = set()
    for page in PAGES:
        used |= set(re.findall(r'data-i18n(?:-label|-placeholder|-title)?="([\w.]+)"', page.read_text()))
        used |= set(re.findall(r"<title>([\w.]+)</title>", page.read_text()))
    for script in SCRIPTS:
        used |= set(re.findall(r'\bt\("([\w.]+)"', script.read_text()))
    # Keys built at run time: every camera state and incident severity.
    used |= {f"tile.state.{state}" for state in ("online", "offline", "connecting", "error")}
    used |= {f"alerts.severity.{level}" for level in ("low", "medium", "high", "critical")}
    missing = sorted(used - keys)
    assert not missing, f"strings without an English text in i18n.js: {missing}"
    assert len(used) > 30
