"""Vendored browser libraries match their VENDOR.json (offline check; the registry check needs npm)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from wawai.assets import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import vendor_fetch

VENDOR = REPO_ROOT / "webui" / "static" / "vendor"


def test_every_vendored_library_has_a_complete_manifest_and_licence():
    folders = sorted(p.parent for p in VENDOR.glob("*/VENDOR.json"))
    assert {f.name for f in folders} >= {"hls.js", "uplot"}
    for folder in folders:
        manifest = json.loads((folder / "VENDOR.json").read_text())
        assert manifest["tarball"] == f"{manifest['name']}@{manifest['version']}"
        assert "LICENSE" in manifest["files"] and manifest["license"]
        assert all(len(digest) == 64 for digest in manifest["files"].values())


def test_offline_check_passes_here_and_catches_a_changed_copy(tmp_path: Path, capsys):
    assert vendor_fetch.main(["--offline"]) == 0
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    target = copy / "uplot" / "uPlot.esm.js"
    target.write_bytes(target.read_bytes() + b"\n// changed\n")
    assert vendor_fetch.main(["--offline", "--vendor-dir", str(copy)]) == 1
    assert "uplot/uPlot.esm.js: the copy here differs" in capsys.readouterr().err
