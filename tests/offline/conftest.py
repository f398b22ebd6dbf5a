"""Fixtures for running without the shared assets: a switch that hides the mirror, the real weights."""

from __future__ import annotations

import pytest

import analytics.model_fetch
import wawai.assets
from analytics.manifest import REPO_ROOT, read_spec
from wawai.files import sha256_of

YOLOX_MANIFEST = REPO_ROOT / "models" / "yolox-nano.yaml"


@pytest.fixture
def no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a fresh server: no $WAWAI_ASSETS and no ../shared/assets beside the checkout."""
    monkeypatch.setattr(wawai.assets, "asset_dirs", lambda: [])
    monkeypatch.setattr(analytics.model_fetch, "asset_dirs", lambda: [])


@pytest.fixture(scope="session")
def yolox_bytes() -> bytes:
    """The real YOLOX-Nano weights: the shared mirror's copy, or the one `wawai model fetch` stored."""
    spec = read_spec(YOLOX_MANIFEST)
    candidates = [wawai.assets.find_asset(f"models/{spec.file}"), REPO_ROOT / "models" / spec.file]
    for path in candidates:
        if path is not None and path.is_file() and sha256_of(path) == spec.sha256:
            return path.read_bytes()
    pytest.skip(f"{spec.file} is neither in the shared assets nor fetched (wawai model fetch yolox-nano)")
