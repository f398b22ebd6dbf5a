"""GET /api/map and the site plan: what the map page is told, the CSP that lets tiles in, and the
plan picture served to signed-in users only."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.complaints.system import metro_cameras
from tests.support.app_fixtures import write_config
from webui.security import tile_image_sources

PLAN = "plans/balai-kota.png"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """Overrides the foundation's: the Metro cameras, a site plan, the city's tile server."""
    site = f"""\
site:
  timezone: Asia/Jakarta
  map:
    tile_url: "https://{{s}}.tiles.metrokota.go.id/{{z}}/{{x}}/{{y}}.png"
    attribution: "Peta: Pemkot Metro"
    image: {{path: {PLAN}, south_west: [-5.1150, 105.3050], north_east: [-5.1110, 105.3090]}}
storage: {{path: {tmp_path / 'data'}}}
"""
    directory = write_config(tmp_path, metro_cameras("/videos/a.mp4"), site)
    plan = tmp_path / PLAN  # relative paths start at the config directory's parent
    plan.parent.mkdir(parents=True)
    ok, encoded = cv2.imencode(".png", np.full((40, 40, 3), 200, np.uint8))
    assert ok
    plan.write_bytes(encoded.tobytes())
    return directory


def test_the_map_settings_for_the_page(client, users):
    headers = {"Authorization": f"Bearer {users['operator'].token}"}  # limited to group "north": no cameras
    answer = client.get("/api/map", headers=headers).json()
    assert answer["tile_url"].startswith("https://{s}.tiles.metrokota.go.id/")
    assert answer["attribution"] == "Peta: Pemkot Metro" and answer["timezone"] == "Asia/Jakarta"
    assert answer["image"] == {"url": "/api/map/image", "south_west": [-5.115, 105.305],
                               "north_east": [-5.111, 105.309]}
    assert answer["center"] is None  # none configured and no camera this user may see
    admin = client.get("/api/map", headers={"Authorization": f"Bearer {users['admin'].token}"}).json()
    # The middle of the five cameras: 200 m north and 10 m west of PLACE on average.
    assert admin["center"] == pytest.approx([-5.1130 + 200 / 111_195, 105.3070 - 10 / 111_195], abs=1e-6)


def test_the_site_plan_is_served_to_signed_in_users(client, users):
    assert client.get("/api/map/image").status_code == 401
    answer = client.get("/api/map/image", headers={"Authorization": f"Bearer {users['operator'].token}"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")


def test_the_pages_may_load_tiles_from_the_tile_server_only(client):
    policy = client.get("/static/map.html").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://*.tiles.metrokota.go.id" in policy
    assert "script-src 'self';" in policy  # nothing else widened
    assert tile_image_sources(None) == ()
    assert tile_image_sources("http://127.0.0.1:9000/{z}/{x}/{y}.png") == ("http://127.0.0.1:9000",)


def test_cameras_carry_their_location(client, users):
    cameras = client.get("/api/cameras", headers={"Authorization": f"Bearer {users['admin'].token}"}).json()
    taman = next(camera for camera in cameras if camera["id"] == "taman")
    assert taman["location"]["heading"] == 180 and taman["location"]["address"] == "Jl. Taman Merdeka, Metro"


def test_leaflet_is_vendored_with_its_licence_and_checksums():
    import json

    from wawai.files import sha256_of

    vendor = Path(__file__).resolve().parents[2] / "webui" / "static" / "vendor" / "leaflet"
    manifest = json.loads((vendor / "VENDOR.json").read_text())
    assert (manifest["name"], manifest["license"], manifest["tarball"]) == (
        "leaflet", "BSD-2-Clause", f"leaflet@{manifest['version']}")
    assert "LICENSE" in manifest["files"] and "dist/leaflet-src.esm.js" in manifest["files"]
    on_disk = {p.relative_to(vendor).as_posix() for p in vendor.rglob("*") if p.is_file()} - {"VENDOR.json"}
    assert on_disk == set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert sha256_of(vendor / name) == digest, name
