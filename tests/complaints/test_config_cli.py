"""Camera locations and complaint services in config (ranges checked, file and line named), the demo's
cameras in Metro, and `wawai integration key create|list|revoke`."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import select

from tests.support.app_fixtures import write_config
from wawai.cli import main
from wawai.config.loader import check_config, load_config
from wawai.db.base import make_sessionmaker
from wawai.db.complaints import IntegrationKey
from wawai.geo import distance_m
from wawai.integration_keys import key_for

STREAM = "streams: {main: /videos/a.mp4}\n"
SERVICES = """\
complaints:
  services:
    - {code: flood, name: Banjir, group: dinas-pu}
    - {code: fight, name: Perkelahian, group: satpol-pp}
"""


def errors_for(tmp_path, camera: str = "", site: str = "") -> list[str]:
    directory = write_config(tmp_path, {"c.yaml": STREAM + textwrap.dedent(camera)},
                             site=f"storage: {{path: {tmp_path / 'data'}}}\n" + textwrap.dedent(site))
    return [str(error) for error in check_config(directory)]


def test_a_camera_location_is_read(tmp_path):
    location = "location: {lat: -5.113, lon: 105.307, heading: 90, fov: 60, address: Jl. Sudirman}\n"
    directory = write_config(tmp_path, {"c.yaml": STREAM + location})
    where = load_config(directory).cameras["c"].location
    assert where is not None
    assert (where.lat, where.lon, where.heading, where.fov) == (-5.113, 105.307, 90, 60)
    assert where.address == "Jl. Sudirman"


@pytest.mark.parametrize(("location", "key", "says"), [
    ("{lat: 91, lon: 105.3}", "location.lat", "less than or equal to 90"),
    ("{lat: -5.1, lon: 181}", "location.lon", "less than or equal to 180"),
    ("{lat: -5.1, lon: 105.3, heading: 360}", "location.heading", "less than 360"),
    ("{lat: -5.1, lon: 105.3, heading: 10, fov: 0}", "location.fov", "greater than 0"),
    ("{lon: 105.3}", "location.lat", "required key is missing"),
    ("{lat: -5.1, lon: 105.3, height: 4}", "location.height", "unknown key"),
])
def test_a_camera_location_out_of_range_is_named(tmp_path, location, key, says):
    [error] = errors_for(tmp_path, camera=f"name: C\nlocation: {location}\n")
    assert f"c.yaml:3: {key}: " in error and says in error, error


def test_complaint_services_are_checked(tmp_path):
    [duplicate] = errors_for(tmp_path, site=SERVICES + "    - {code: flood, name: Lagi, group: x}\n")
    assert "complaints.services: service code 'flood' appears twice" in duplicate
    [no_group] = errors_for(tmp_path, site="complaints: {services: [{code: a, name: A}]}\n")
    assert "complaints.services.0.group: required key is missing" in no_group
    listless = "[{code: depth, description: D, datatype: singlevaluelist}]"
    [no_values] = errors_for(tmp_path, site=f"complaints: {{services: [{{code: a, name: A, group: g, "
                                            f"attributes: {listless}}}]}}\n")
    assert "needs values" in no_values
    [radius] = errors_for(tmp_path, site="complaints: {camera_radius_m: 0}\n")
    assert "complaints.camera_radius_m" in radius


def test_map_settings_are_checked(tmp_path):
    [tiles] = errors_for(tmp_path, site="site: {map: {tile_url: 'ftp://tiles/{z}/{x}/{y}.png'}}\n")
    assert "site.map.tile_url: tile_url must be an http(s) URL" in tiles
    [corners] = errors_for(tmp_path, site="site: {map: {image: {path: plan.png, south_west: [-5.11, 105.31], "
                                          "north_east: [-5.12, 105.30]}}}\n")
    assert "south_west must be south and west of north_east" in corners
    tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    good = f"site: {{map: {{tile_url: '{tiles}', center: [-5.113, 105.307]}}}}\n"
    assert errors_for(tmp_path, site=good) == []


def test_the_demo_cameras_stand_in_metro():
    demo = load_config(__import__("wawai.assets", fromlist=["REPO_ROOT"]).REPO_ROOT / "config" / "demo")
    assert demo.cameras
    for camera in demo.cameras.values():
        assert camera.location is not None, camera.id
        # Metro's city centre is about -5.113, 105.307; the demo cameras are within 1 km of it.
        assert distance_m(camera.location.lat, camera.location.lon, -5.113, 105.307) < 1000, camera.id
    camera_groups = {camera.group for camera in demo.cameras.values()}
    assert {service.group for service in demo.site.complaints.services} <= camera_groups  # departments


def test_integration_keys_from_the_cli(tmp_path, capsys):
    directory = write_config(tmp_path, site=f"storage: {{path: {tmp_path / 'data'}}}\n" + SERVICES)
    config = ["--config", str(directory)]
    assert main([*config, "integration", "key", "create", "lapor-metro"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("w311_") and len(key) > 40
    assert main([*config, "integration", "key", "create", "pu-app", "--services", "flood"]) == 0
    limited = capsys.readouterr().out.strip()
    assert main([*config, "integration", "key", "create", "bad", "--services", "flood,potholes"]) == 1
    assert "unknown service code 'potholes'" in capsys.readouterr().err
    assert main([*config, "integration", "key", "create", "lapor-metro"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main([*config, "integration", "key", "list"]) == 0
    listing = capsys.readouterr().out
    assert "lapor-metro\tservices all" in listing and "pu-app\tservices flood" in listing
    assert key not in listing and limited not in listing
    sessions = make_sessionmaker(load_config(directory).database_url)
    with sessions() as db:
        stored = db.scalars(select(IntegrationKey.key_hash)).all()
        assert key not in stored and len(stored) == 2  # only hashes
        assert key_for(db, key) is not None
    assert main([*config, "integration", "key", "revoke", "lapor-metro"]) == 0
    assert main([*config, "integration", "key", "revoke", "nobody"]) == 1
    capsys.readouterr()
    with sessions() as db:
        assert key_for(db, key) is None
        assert key_for(db, limited) is not None
    main([*config, "integration", "key", "list"])
    assert "revoked" in capsys.readouterr().out.splitlines()[0]
    sessions.kw["bind"].dispose()
