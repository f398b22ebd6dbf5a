"""Where the shared test and demo assets (footage, detector weights) are found; never committed."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def asset_dirs() -> list[Path]:
    """Candidate asset folders, in the order they are searched."""
    dirs = []
    if env := os.environ.get("WAWAI_ASSETS"):
        dirs.append(Path(env))
    dirs.append(REPO_ROOT.parent / "shared" / "assets")
    dirs.append(REPO_ROOT / "shared" / "assets")
    return dirs


def find_asset(relative: str) -> Path | None:
    for base in asset_dirs():
        candidate = base / relative
        if candidate.exists():
            return candidate
    return None
