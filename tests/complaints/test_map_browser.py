"""The map page in Chromium: cameras and a public report placed at their coordinates, checked in the
page against Web Mercator computed here, with a local tile server, with that server gone, and with no
tiles configured (a plain background with a scale)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import text

from tests.complaints.system import PLACE, System, build_system, metro_cameras
from tests.complaints.tile_server import TileServer
from tests.support.browser_fixtures import sign_in
from wawai.assets import find_asset

pytestmark = pytest.mark.browser

ZOOM = 17
REPORT = (PLACE[0] + 0.0004, PLACE[1] - 0.0003)  # ~55 m from the centre, between the cameras

# Centres (container pixels) of every marker, the map's view, and each loaded tile's box.
PAGE_STATE = """() => {
  const map = document.getElementById('map');
  const box = map.getBoundingClientRect();
  const centre = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left + r.width / 2 - box.left, r.top + r.height / 2 - box.top];
  };
  const rect = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top];
  };
  const cameras = [...map.querySelectorAll('path[data-camera]')];
  const reports = [...map.querySelectorAll('[data-complaint]')];
  return {
    size: [box.width, box.height], zoom: Number(map.dataset.zoom),
    center: [Number(map.dataset.centerLat), Number(map.dataset.centerLon)], tiles: map.dataset.tiles,
    cameras: Object.fromEntries(cameras.map((p) => [p.dataset.camera, centre(p)])),
    complaints: Object.fromEntries(reports.map((d) => [d.dataset.complaint, centre(d.parentElement)])),
    loadedTiles: [...map.querySelectorAll('img.leaflet-tile-loaded')].map((img) => ({
      src: img.src, box: rect(img) })),
    scale: map.querySelector('.leaflet-control-scale-line')?.textContent || '',
  };
}"""


def world(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at a zoom level (256-pixel tiles), as every web map draws them."""
    scale = 256 * 2 ** zoom
    sin = math.sin(math.radians(lat))
    return (lon + 180) / 360 * scale, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale


def expected_point(state: dict, lat: float, lon: float) -> tuple[float, float]:
    x, y = world(lat, lon, state["zoom"])
    cx, cy = world(state["center"][0], state["center"][1], state["zoom"])
    return x - cx + state["size"][0] / 2, y - cy + state["size"][1] / 2


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    server = TileServer()
    server.start()
    yield server
    server.stop()


def _system(tmp_path_factory, map_settings: str) -> System:
    video = str(find_asset("video/vtest_640x480_30s_h264.mp4") or "/nonexistent/vtest.mp4")
    return build_system(tmp_path_factory.mktemp("map"), metro_cameras(video), map_settings)


def _report(system: System) -> str:
    fields = {"api_key": system.keys["lapor"], "service_code": "tree", "lat": str(REPORT[0]),
              "long": str(REPORT[1]), "address_string": "Jl. Jend. Sudirman, Metro",
              "description": "Pohon tumbang"}
    answer = httpx.post(f"{system.url}/open311/v2/requests.json", data=fields, timeout=10)
    assert answer.status_code == 201, answer.text
    with system.sessions() as db:
        return str(db.scalar(text("SELECT incident_id FROM complaints WHERE id = :id"),
                             {"id": int(answer.json()[0]["service_request_id"])}))


@pytest.fixture(scope="module")
def tiled(tmp_path_factory, tiles) -> Iterator[tuple[System, str]]:
    system = _system(tmp_path_factory, f", map: {{tile_url: '{tiles.url}', center: [{PLACE[0]}, {PLACE[1]}], "
                                       f"zoom: {ZOOM}, attribution: 'Tiles: Dinas Kominfo Metro'}}")
    yield system, _report(system)
    system.stop()


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Iterator[tuple[System, str]]:
    system = _system(tmp_path_factory, f", map: {{zoom: {ZOOM}}}")  # no tiles; centred on the cameras
    yield system, _report(system)
    system.stop()


PLAN_SW, PLAN_NE = (PLACE[0] - 0.003, PLACE[1] - 0.003), (PLACE[0] + 0.003, PLACE[1] + 0.003)


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Iterator[tuple[System, str]]:
    """A site plan instead of tiles: a picture with the places of its two corners."""
    root = tmp_path_factory.mktemp("plan")
    ok, encoded = cv2.imencode(".png", np.full((300, 300, 3), (90, 60, 40), np.uint8))
    assert ok
    (root / "plan.png").write_bytes(encoded.tobytes())
    picture = root / "plan.png"
    settings = (f", map: {{zoom: {ZOOM}, center: [{PLACE[0]}, {PLACE[1]}], image: {{path: {picture}, "
                f"south_west: [{PLAN_SW[0]}, {PLAN_SW[1]}], north_east: [{PLAN_NE[0]}, {PLAN_NE[1]}]}}}}")
    video = str(find_asset("video/vtest_640x480_30s_h264.mp4") or "/nonexistent/vtest.mp4")
    system = build_system(root, metro_cameras(video), settings)
    yield system, _report(system)
    system.stop()


def open_map(page, system: System) -> dict:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, system.url, "pu-operator", system.users["pu-operator"].password)
    page.goto(f"{system.url}/static/map.html")
    page.wait_for_selector("#map[data-ready=yes]", timeout=15_000)
    page.wait_for_function("() => document.querySelectorAll('#map path[data-camera]').length >= 4")
    state = page.evaluate(PAGE_STATE)
    state["errors"] = errors
    return state


def assert_placed(state: dict, system: System, incident_id: str) -> None:
    cameras = system.ctx.config.cameras
    visible = {cid for cid, cam in cameras.items() if cam.group == "dinas-pu"}
    assert set(state["cameras"]) == visible  # terminal is satpol-pp's: not on this operator's map
    for camera_id in visible:
        where = cameras[camera_id].location
        assert where is not None
        x, y = expected_point(state, where.lat, where.lon)
        got = state["cameras"][camera_id]
        assert abs(got[0] - x) <= 2 and abs(got[1] - y) <= 2, (camera_id, got, (x, y))
    x, y = expected_point(state, *REPORT)
    got = state["complaints"][incident_id]
    assert abs(got[0] - x) <= 2 and abs(got[1] - y) <= 2, (got, (x, y))
    assert state["scale"].endswith(" m")  # a metric scale at street zoom


def test_cameras_and_a_report_sit_on_the_right_tiles(browser_page, tiled, tiles):
    system, incident_id = tiled
    page = browser_page
    state = open_map(page, system)
    page.wait_for_function("() => document.getElementById('map').dataset.tiles === 'loaded'", timeout=15_000)
    state = {**page.evaluate(PAGE_STATE), "errors": state["errors"]}
    assert state["zoom"] == ZOOM and state["center"] == pytest.approx(PLACE, abs=1e-6)
    assert_placed(state, system, incident_id)
    # The tile under each camera is the one Web Mercator names for its place: markers and tiles agree.
    for camera_id, (px, py) in state["cameras"].items():
        where = system.ctx.config.cameras[camera_id].location
        assert where is not None
        wx, wy = world(where.lat, where.lon, ZOOM)
        name = f"/{ZOOM}/{int(wx // 256)}/{int(wy // 256)}.png"
        [tile] = [tile for tile in state["loadedTiles"] if tile["src"].endswith(name)]
        left, top, right, bottom = tile["box"]
        assert left <= px <= right and top <= py <= bottom, camera_id
    assert any(z == ZOOM for z, _, _ in tiles.served)
    assert page.text_content("#map-attribution") == "Leaflet · Tiles: Dinas Kominfo Metro"
    assert state["errors"] == []  # nothing refused by the CSP (the tile origin is allowed)


def test_without_the_tile_server_everything_stays_in_place(browser_page, tiled, tiles):
    system, incident_id = tiled
    tiles.stop()  # the city's tile server is down
    page = browser_page
    sign_in(page, system.url, "pu-operator", system.users["pu-operator"].password)
    page.goto(f"{system.url}/static/map.html")
    page.wait_for_selector("#map[data-ready=yes]", timeout=15_000)
    page.wait_for_function("() => document.getElementById('map').dataset.tiles === 'failed'", timeout=15_000)
    state = page.evaluate(PAGE_STATE)
    assert state["loadedTiles"] == []
    assert_placed(state, system, incident_id)
    assert "unavailable" in page.text_content("#map-notice")


def test_with_no_tiles_configured_a_plain_background_with_a_scale(browser_page, plain):
    system, incident_id = plain
    state = open_map(browser_page, system)
    assert state["tiles"] == "none" and state["loadedTiles"] == []
    assert_placed(state, system, incident_id)
    assert state["errors"] == []


def test_on_a_site_plan_between_its_corners(browser_page, plan):
    system, incident_id = plan
    page = browser_page
    state = open_map(page, system)
    assert state["tiles"] == "plan"
    page.wait_for_function("() => document.querySelector('#map img.leaflet-image-layer')?.complete")
    corners = page.evaluate("""() => {
      const box = document.getElementById('map').getBoundingClientRect();
      const r = document.querySelector('#map img.leaflet-image-layer').getBoundingClientRect();
      return [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top];
    }""")
    left, bottom = expected_point(state, *PLAN_SW)
    right, top = expected_point(state, *PLAN_NE)
    assert corners == pytest.approx([left, top, right, bottom], abs=2)
    assert_placed(state, system, incident_id)
    assert state["errors"] == []


def test_a_report_opens_from_the_map(browser_page, plain):
    system, incident_id = plain
    page = browser_page
    open_map(page, system)
    page.click(f"[data-complaint='{incident_id}']")
    popup = page.wait_for_selector(f".complaint-popup[data-incident='{incident_id}']")
    assert "Pohon tumbang" in popup.text_content()
    assert "Jl. Jend. Sudirman, Metro" in popup.text_content()
