"""A running Wawai for the complaint tests, built once per module: real config files, a migrated SQLite
file, real uvicorn. Cameras sit around a place in Metro (Lampung); services belong to two departments.

``PLACE`` is where the tests report things. Cameras, by distance from it:
    taman     ~50 m north, looks south (covers the place)
    pasar     ~100 m east, looks east (away from the place)
    masjid    ~150 m west, no heading (direction unknown)
    stasiun   ~250 m south, looks north (covers)
    terminal  ~1.2 km away (outside the 300 m radius)
Best first: taman, stasiun (cover, nearest first), masjid (unknown), pasar (looks away).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

import camera_ingest
from tests.support.app_fixtures import PASSWORD, LiveServer, TestUser, write_config
from wawai import accounts, integration_keys
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.stage import StageContext
from webui.app import create_app

PLACE = (-5.1130, 105.3070)
METERS_PER_DEGREE = 111_195.0  # latitude; longitude at -5.1 degrees is within 0.4 % of it

SITE = """\
site: {{name: Metro Command Center, timezone: Asia/Jakarta{map}}}
storage: {{path: {storage}}}
complaints:
  camera_radius_m: 300
  photo_max_bytes: 200KB
  requests_per_minute: 1000
  services:
    - code: flood
      name: Banjir
      description: Genangan atau banjir di jalan
      keywords: [banjir, flood]
      group: dinas-pu
      attributes:
        - code: depth
          description: Seberapa dalam airnya?
          datatype: singlevaluelist
          required: true
          order: 1
          values:
            - {{key: ankle, name: Semata kaki}}
            - {{key: knee, name: Selutut}}
            - {{key: waist, name: Sepinggang}}
        - {{code: note, description: Catatan, datatype: string, order: 2}}
    - {{code: tree, name: Pohon tumbang, group: dinas-pu}}
    - {{code: fight, name: Perkelahian, group: satpol-pp, severity: high}}
"""


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return PLACE[0] + north_m / METERS_PER_DEGREE, PLACE[1] + east_m / METERS_PER_DEGREE


def camera_file(name: str, group: str, stream: str, north_m: float, east_m: float,
                heading: float | None = None, fov: float | None = None) -> str:
    lat, lon = offset(north_m, east_m)
    aim = "" if heading is None else f", heading: {heading}, fov: {fov}"
    return textwrap.dedent(f"""\
        name: {name}
        group: {group}
        streams: {{main: "{stream}", loop: true, stall_seconds: 4}}
        location: {{lat: {lat:.7f}, lon: {lon:.7f}{aim}, address: "Jl. {name}, Metro"}}
        """)


def metro_cameras(stream: str, streams: dict[str, str] | None = None) -> dict[str, str]:
    """The five cameras, all playing ``stream`` unless ``streams`` gives one per camera id."""
    own = streams or {}
    return {
        "taman.yaml": camera_file("Taman Merdeka", "dinas-pu", own.get("taman", stream), 50, 0, 180, 60),
        "pasar.yaml": camera_file("Pasar Cendrawasih", "dinas-pu", own.get("pasar", stream), 0, 100, 90, 60),
        "masjid.yaml": camera_file("Masjid Taqwa", "dinas-pu", own.get("masjid", stream), 0, -150),
        "stasiun.yaml": camera_file("Stasiun", "dinas-pu", own.get("stasiun", stream), -250, 0, 0, 90),
        "terminal.yaml": camera_file("Terminal", "satpol-pp", own.get("terminal", stream), 1200, 0, 0, 90),
    }


BEST_FIRST = ["taman", "stasiun", "masjid", "pasar"]


@dataclass
class System:
    ctx: StageContext
    app: FastAPI
    server: LiveServer
    sessions: sessionmaker[Session]
    users: dict[str, TestUser]
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.sessions.kw["bind"].dispose()


def build_system(root: Path, cameras: dict[str, str], map_settings: str = "") -> System:
    directory = write_config(root, cameras, SITE.format(storage=root / "data", map=map_settings))
    config = load_config(directory)
    assert not config.errors, config.errors
    upgrade(config.database_url)
    sessions = make_sessionmaker(config.database_url)
    users: dict[str, TestUser] = {}
    keys: dict[str, str] = {}
    known = [service.code for service in config.site.complaints.services]
    with sessions() as db:
        for name, role, groups in (
            ("pu-operator", "operator", ["dinas-pu"]),
            ("satpol-operator", "operator", ["satpol-pp"]),
            ("supervisor1", "supervisor", []),
            ("admin1", "admin", []),
        ):
            user = accounts.create_user(db, name, PASSWORD, role, groups)
            token = accounts.create_token(db, user, "tests")
            users[name] = TestUser(name, role, PASSWORD, token, tuple(groups))
        keys["lapor"] = integration_keys.create_key(db, "lapor", [], known)
        keys["pu-app"] = integration_keys.create_key(db, "pu-app", ["flood", "tree"], known)
        keys["revoked"] = integration_keys.create_key(db, "old-app", [], known)
        integration_keys.revoke_key(db, "old-app")
        db.commit()
    bus = EventBus()
    ctx = StageContext(config=config, hub=camera_ingest.create_hub(config, bus), bus=bus, sessions=sessions)
    app = create_app(ctx)
    server = LiveServer(app)
    server.start()
    return System(ctx, app, server, sessions, users, keys)
