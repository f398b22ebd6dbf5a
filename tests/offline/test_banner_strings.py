"""The no-model banner's strings exist in English and in Bahasa Indonesia, and are really translated."""

from __future__ import annotations

import re

from tests.live.test_pages_static import STATIC

KEY = re.compile(r'^\s+"(analytics\.degraded\.[\w.]+)":\s*"([^"]*)"', re.MULTILINE)


def table(source: str, name: str) -> dict[str, str]:
    start = source.index(f"\n  {name}: {{")
    end = source.index("\n  },", start)
    return dict(KEY.findall(source[start:end]))


def test_banner_strings_in_english_and_indonesian():
    source = (STATIC / "js" / "i18n.js").read_text()
    english, indonesian = table(source, "en"), table(source, "id")
    banner = (STATIC / "js" / "analytics_banner.js").read_text()
    used = set(re.findall(r'\bt\("(analytics\.degraded\.[\w.]+)"', banner))
    assert used and used == set(english) == set(indonesian)
    for key in used:
        assert indonesian[key] and indonesian[key] != english[key], key
    for language in (english, indonesian):
        assert "{count}" in language["analytics.degraded.cameras"]
