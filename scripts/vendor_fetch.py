#!/usr/bin/env python3
"""Re-fetch every vendored browser library from the npm registry and check it against its VENDOR.json.

Each ``webui/static/vendor/<lib>/VENDOR.json`` says where the files came from:

    {"name": "hls.js", "version": "1.7.4", "license": "Apache-2.0", "tarball": "hls.js@1.7.4",
     "files": {"hls.light.min.mjs": "<sha256 hex>", "LICENSE": "<sha256 hex>"}}

A file's key is its path under ``vendor/<lib>/``; in the package it is ``package/<key>`` or, when the
vendored copy is flattened (``dist/x.js`` kept as ``x.js``), the one package member with that file name.

    scripts/vendor_fetch.py              fetch (``npm pack``), verify the registry's bytes and the copies here
    scripts/vendor_fetch.py --write      also (re)write the copies here from the package and record checksums
    scripts/vendor_fetch.py --offline    verify only the copies here against VENDOR.json (no network)

Exit status 1 when anything differs; one line per problem.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent.parent / "webui" / "static" / "vendor"
REQUIRED_KEYS = ("name", "version", "license", "tarball", "files")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: Path) -> dict:
    manifest = json.loads(path.read_text())
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    if manifest["tarball"] != f"{manifest['name']}@{manifest['version']}":
        raise ValueError(f"{path}: tarball must be name@version ({manifest['name']}@{manifest['version']})")
    return manifest


def npm_pack(spec: str, into: Path) -> Path:
    done = subprocess.run(["npm", "pack", spec, "--pack-destination", str(into), "--silent"],
                          capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip().splitlines()[-1:]}")
    tarballs = sorted(into.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"npm pack {spec} left {len(tarballs)} tarballs")
    return tarballs[0]


def member_bytes(tarball: Path, relative: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        files = [m for m in archive.getmembers() if m.isfile()]
        exact = [m for m in files if m.name == f"package/{relative}"]
        named = exact or [m for m in files if Path(m.name).name == Path(relative).name]
        if len(named) != 1:
            raise LookupError(f"{relative}: {len(named)} matching files in {tarball.name}")
        handle = archive.extractfile(named[0])
        assert handle is not None
        return handle.read()


def check_library(folder: Path, *, offline: bool, write: bool) -> list[str]:
    manifest_path = folder / "VENDOR.json"
    problems: list[str] = []
    try:
        manifest = read_manifest(manifest_path)
    except (ValueError, json.JSONDecodeError) as exc:
        return [str(exc)]
    fetched: dict[str, bytes] = {}
    if not offline:
        with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
            try:
                tarball = npm_pack(manifest["tarball"], Path(tmp))
                for relative in manifest["files"]:
                    fetched[relative] = member_bytes(tarball, relative)
            except (RuntimeError, LookupError, subprocess.TimeoutExpired) as exc:
                return [f"{folder.name}: {exc}"]
    for relative, expected in manifest["files"].items():
        local = folder / relative
        if relative in fetched:
            registry = sha256_hex(fetched[relative])
            if write:
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_bytes(fetched[relative])
                manifest["files"][relative] = registry
                continue
            if registry != expected:
                problems.append(f"{folder.name}/{relative}: registry sha256 {registry} != {expected}")
        if not local.is_file():
            problems.append(f"{folder.name}/{relative}: missing here")
        elif sha256_hex(local.read_bytes()) != expected:
            problems.append(f"{folder.name}/{relative}: the copy here differs from VENDOR.json")
    if write:
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="check the copies here only, no npm")
    parser.add_argument("--write", action="store_true", help="rewrite the copies here from the registry")
    parser.add_argument("--vendor-dir", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    if args.offline and args.write:
        parser.error("--write needs the registry; drop --offline")
    folders = sorted(p.parent for p in args.vendor_dir.glob("*/VENDOR.json"))
    if not folders:
        print(f"no */VENDOR.json under {args.vendor_dir}", file=sys.stderr)
        return 1
    problems = [problem for folder in folders
                for problem in check_library(folder, offline=args.offline, write=args.write)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(folders)} vendored package(s) match their VENDOR.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
