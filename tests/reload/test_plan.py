"""The field class table and the per-camera plan, without a running system."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.support.app_fixtures import write_config
from wawai.config.diff import Snapshot, plan_reload, running_after
from wawai.config.fields import CAMERA_FIELDS, LIVE, PROCESS, RESTART_STREAM, SITE_FIELDS, classify
from wawai.config.loader import load_config, load_config_and_errors
from wawai.config.schema import CameraConfig, SiteConfig


def leaf_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nested = [a for a in (annotation, *typing.get_args(annotation))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            keys += leaf_keys(nested[0], f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_schema_field_has_a_class():
    for key in leaf_keys(SiteConfig):
        classify(SITE_FIELDS, key)
    for key in leaf_keys(CameraConfig):
        if key != "id":  # the id is the camera: another id is another camera
            classify(CAMERA_FIELDS, key)
    assert classify(CAMERA_FIELDS, "streams.sub") == RESTART_STREAM
    assert classify(CAMERA_FIELDS, "rules") == LIVE
    assert classify(SITE_FIELDS, "web.port") == PROCESS
    with pytest.raises(KeyError):
        classify(SITE_FIELDS, "nonsense.key")


SITE = """\
storage: {{path: {data}}}
defaults: {{detect: {{fps: {fps}}}}}
web: {{port: {port}}}
"""


def config_with(root: Path, *, fps: int = 5, port: int = 8080, cameras: dict[str, str]) -> Path:
    site = SITE.format(data=root / "data", fps=fps, port=port)
    directory = write_config(root, cameras=cameras, site=site)
    for path in (directory / "cameras").glob("*.yaml"):
        if path.name not in cameras:
            path.unlink()
    return directory


def test_site_defaults_reach_each_camera_and_process_keys_wait(tmp_path):
    cams = {"a.yaml": "streams: {main: rtsp://h/a}\n",
            "b.yaml": "streams: {main: rtsp://h/b}\ndetect: {fps: 2}\n"}
    directory = config_with(tmp_path, cameras=cams)
    running = load_config(directory)
    snapshot = Snapshot.of(running, "salt")
    config_with(tmp_path, fps=3, port=9000, cameras={**cams, "a.yaml": "streams: {main: rtsp://h/a, sub: rtsp://h/a2}\n"})
    loaded, errors = load_config_and_errors(directory)
    plan = plan_reload(snapshot, loaded, errors, directory)
    data = plan.to_json()
    assert data["needs_restart"] == [{"camera": None, "change": "changed", "fields": ["web.port"]}]
    assert data["applied"] == [{"camera": None, "change": "changed", "fields": ["defaults.detect.fps"]}]
    # b overrides fps itself, so the new default does not change it; a restarts for its new sub stream.
    assert data["restarted"] == [{"camera": "a", "change": "changed",
                                  "fields": ["detect.fps", "streams.sub"]}]
    assert loaded is not None
    after = running_after(running, loaded, plan)
    assert after.site.web.port == 8080 and after.site.defaults.detect.fps == 3


def test_a_broken_file_keeps_its_camera_and_a_broken_site_keeps_all(tmp_path):
    directory = config_with(tmp_path, cameras={"a.yaml": "name: A\nstreams: {main: rtsp://h/a}\n"})
    running = load_config(directory)
    snapshot = Snapshot.of(running, "salt")
    (directory / "cameras" / "a.yaml").write_text("name: B\nstreams: {main: rtsp://h/a}\nzones: 3\n")
    loaded, errors = load_config_and_errors(directory)
    plan = plan_reload(snapshot, loaded, errors, directory)
    assert loaded is not None
    assert plan.kept == ["a"] and not plan.applied and not plan.restarted
    assert plan.errors == ["cameras/a.yaml:3: zones: Input should be a valid list"]
    assert running_after(running, loaded, plan).cameras["a"].name == "A"

    (directory / "wawai.yaml").write_text("web: {port: nope}\n")
    loaded, errors = load_config_and_errors(directory)
    plan = plan_reload(snapshot, loaded, errors, directory)
    assert loaded is None and not plan.site_valid and plan.errors[0].startswith("wawai.yaml:1: web.port: ")


def test_the_snapshot_holds_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("CAM_PASSWORD", "hunter22")
    directory = config_with(tmp_path, cameras={"a.yaml": "streams: {main: 'rtsp://u:${CAM_PASSWORD}@h/a'}\n"})
    (directory / "wawai.yaml").write_text(textwrap.dedent(f"""\
        storage: {{path: {tmp_path / 'data'}}}
        database: {{url: "postgresql+psycopg://wawai:dbsecret@db/wawai"}}
        web: {{turn_password: turnsecret}}
        """))
    text = str(Snapshot.of(load_config(directory), "salt").to_json())
    for secret in ("hunter22", "dbsecret", "turnsecret"):
        assert secret not in text
