"""``wawai demo``: a demo site of four cameras replaying the sample footage, run like ``wawai run``.

The demo config lives in config/demo (site file + cameras/*.yaml). Streams written as
``asset:video/NAME.mp4`` are found with ``wawai.assets``; the resolved config is written into the demo's
storage dir, a demo user is created when there is none (a random password, printed once), and the same
supervisor as ``wawai run`` starts the node: ingest, recorder, analytics and the web server.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wawai import accounts
from wawai.assets import REPO_ROOT, asset_dirs
from wawai.demo_footage import DEBIAN_PACKAGE, FootageError, can_make, find_footage

log = logging.getLogger(__name__)

DEMO_SOURCE = REPO_ROOT / "config" / "demo"
DEMO_USER = "demo"
# A supervisor who sees one department only, so limited access can be tried without setup.
DEPARTMENT_USER = "pengawas-putr"
DEPARTMENT = "Dinas PUTR"
ASSET_PREFIX = "asset:"


class DemoError(Exception):
    """Why the demo cannot start, with what to do; printed as is."""


@dataclass(frozen=True)
class DemoSite:
    config_dir: Path
    storage: Path
    url: str
    cameras: list[str]
    new_password: str | None  # set only when this run created the demo user
    department_password: str | None = None  # the department-limited supervisor's, made with it


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a demo site: four cameras from the sample footage, with the web UI"
    )
    parser.add_argument(
        "--storage",
        default="data/demo",
        help="where the demo keeps its config, database and recordings (default: ./data/demo)",
    )
    parser.add_argument("--port", type=int, default=None, help="web port (default: 8080, from config/demo)")
    parser.add_argument(
        "--prepare-only", action="store_true", help="write the demo config and user, then exit"
    )
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    try:
        site = prepare_demo(Path(args.storage), port=args.port)
    except DemoError as exc:
        print(f"wawai demo: {exc}", file=sys.stderr)
        return 1
    print(f"Wawai demo: {len(site.cameras)} cameras ({', '.join(site.cameras)}) replaying the sample footage")
    print(f"  config:  {site.config_dir}  (made from {DEMO_SOURCE})")
    print(f"  storage: {site.storage}")
    print(f"Open {site.url} and sign in as {DEMO_USER!r}", end="")
    if site.new_password is not None:
        print(f" with the password {site.new_password}")
        # One line for the second user: the lines above and below are what scripts read.
        print(f"  or as {DEPARTMENT_USER!r} (a supervisor who sees {DEPARTMENT} only) with the password "
              f"{site.department_password}; both shown only now (to start afresh, stop the demo and delete "
              "the storage folder)")
    else:
        print(" with the password printed when the demo first ran")
        print(f"  (forgotten? stop the demo, delete {site.storage} and run `wawai demo` again)")
    if args.prepare_only:
        return 0
    print("Starting: the page answers once the cameras and the web server are up. Press Ctrl+C to stop.",
          flush=True)
    threading.Thread(target=_announce_when_ready, args=(site.url,), name="demo-ready", daemon=True).start()
    from wawai.supervisor import Supervisor

    return Supervisor(site.config_dir, log_level=args.log_level).run()


def _announce_when_ready(url: str, timeout: float = 120.0) -> None:
    """Say when the web server answers: the address above is printed before the node has started."""
    health = url.rstrip("/") + "/api/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=1):  # noqa: S310 (our own http:// address)
                print(f"Ready: {url}", flush=True)
                return
        except OSError:
            time.sleep(0.25)


def prepare_demo(storage: Path, *, port: int | None = None, source: Path = DEMO_SOURCE) -> DemoSite:
    """Write the runnable demo config into ``storage``/config and make sure a demo user exists."""
    if not (source / "wawai.yaml").is_file():
        raise DemoError(f"the demo config is missing: {source}/wawai.yaml (a complete checkout has it)")
    storage = storage.expanduser().resolve()
    config_dir = storage / "config"
    (config_dir / "cameras").mkdir(parents=True, exist_ok=True)

    site = _read_yaml(source / "wawai.yaml")
    site.setdefault("storage", {})["path"] = str(storage)
    site.setdefault("detector", {})["model_dirs"] = [str(REPO_ROOT / "models")]
    if port is not None:
        site.setdefault("web", {})["port"] = port
    _write_yaml(config_dir / "wawai.yaml", site)

    cameras, missing = _resolve_cameras(source / "cameras")
    if missing or not cameras:
        looked = "\n".join(f"  {path}" for path in asset_dirs())
        raise DemoError(
            "the demo footage was not found: "
            + ", ".join(sorted(missing) or ["no camera's clip"])
            + "\nLooked in:\n"
            + looked
            + f"\nInstall Debian's {DEBIAN_PACKAGE} (./scripts/setup.sh does) so the demo can make its "
            "walkway clips, or put the sample videos in ../shared/assets/video beside the checkout, or set "
            "WAWAI_ASSETS to the folder that holds video/."
        )
    for stale in (config_dir / "cameras").glob("*.yaml"):
        stale.unlink()
    for name, camera in cameras.items():
        _write_yaml(config_dir / "cameras" / name, camera)

    passwords = _ensure_demo_users(config_dir)
    web = site.get("web", {})
    url = f"http://{web.get('host', '127.0.0.1')}:{web.get('port', 8080)}/"
    new_password, department_password = passwords if passwords else (None, None)
    return DemoSite(config_dir, storage, url, [str(c["id"]) for c in cameras.values()], new_password,
                    department_password)


def _resolve_cameras(folder: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Cameras with their footage paths filled in, and the clips that should exist here but do not.

    A camera whose clip only the asset mirror has (nothing to make it from here) is left out, and the
    left-out cameras are named in one log line.
    """
    cameras: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    left_out: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        camera = _read_yaml(path)
        streams = camera.get("streams", {})
        for key in ("main", "sub"):
            value = streams.get(key)
            if isinstance(value, str) and value.startswith(ASSET_PREFIX):
                relative = value[len(ASSET_PREFIX) :]
                try:
                    found = find_footage(relative)
                except FootageError as exc:
                    raise DemoError(str(exc)) from exc
                if found is not None:
                    streams[key] = str(found)
                elif can_make(relative):
                    missing.append(relative)
                else:
                    left_out[str(camera.get("id", path.stem))] = relative
        if str(camera.get("id", path.stem)) not in left_out:
            cameras[path.name] = camera
    if left_out:
        log.warning(
            "demo: left out cameras %s: their clips (%s) are only in the asset mirror "
            "($WAWAI_ASSETS or ../shared/assets), which is not here",
            ", ".join(left_out), ", ".join(sorted(set(left_out.values()))),
        )
    return cameras, missing


def _ensure_demo_users(config_dir: Path) -> tuple[str, str] | None:
    """Create the demo admin and the department-limited supervisor when the site has no user at all;
    their random passwords are returned once."""
    from wawai.config.loader import load_config
    from wawai.db.base import make_sessionmaker
    from wawai.db.migrate import upgrade

    config = load_config(config_dir)
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    try:
        with sessions() as db:
            if accounts.count_users(db) > 0:
                return None
            password = secrets.token_urlsafe(12)  # no default password, ever
            accounts.create_user(db, DEMO_USER, password, "admin", [])
            department_password = secrets.token_urlsafe(12)
            accounts.create_user(db, DEPARTMENT_USER, department_password, "supervisor", [DEPARTMENT])
            db.commit()
            return password, department_password
    finally:
        sessions.kw["bind"].dispose()


def _read_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise DemoError(f"{path}: expected a mapping")
    return data


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    header = "# Written by `wawai demo` from config/demo; edit that folder, not this file.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
