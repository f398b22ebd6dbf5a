"""Each config error names its file, line and key; every error is reported; good cameras still load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.app_fixtures import write_config
from wawai.config.errors import ConfigInvalid
from wawai.config.loader import check_config, load_config

GOOD_STREAM = "streams: {main: /videos/a.mp4}\n"


def cam(extra: str) -> str:
    return GOOD_STREAM + textwrap.dedent(extra)


def camera_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_config(tmp_path, cameras={n: textwrap.dedent(t) for n, t in files.items()})


def only_error(directory: Path) -> str:
    errors = check_config(directory)
    assert len(errors) == 1, [str(e) for e in errors]
    return str(errors[0])


def test_sample_fixture_config_is_valid(config_dir):
    assert check_config(config_dir) == []
    assert sorted(load_config(config_dir).cameras) == ["north-gate", "south-gate"]


def test_empty_site_file_is_valid(tmp_path):
    directory = write_config(tmp_path, cameras={}, site="")
    config = load_config(directory)
    assert config.site.web.port == 8080
    assert config.storage_path == (tmp_path / "data").resolve()


def test_id_defaults_to_file_name(tmp_path):
    directory = camera_dir(tmp_path, {"east-door.yaml": GOOD_STREAM})
    assert list(load_config(directory).cameras) == ["east-door"]


def test_duplicate_camera_ids(tmp_path):
    files = {"a.yaml": "id: gate\n" + GOOD_STREAM, "b.yaml": "name: B\nid: gate\n" + GOOD_STREAM}
    directory = camera_dir(tmp_path, files)
    message = only_error(directory)
    assert message.startswith(f"{directory / 'cameras' / 'b.yaml'}:2: id: ")
    assert "already used by" in message and "a.yaml" in message


def test_bad_camera_id(tmp_path):
    directory = camera_dir(tmp_path, {"x.yaml": "name: X\nid: Gate_North\n" + GOOD_STREAM})
    expected = f"{directory / 'cameras' / 'x.yaml'}:2: id: camera id 'Gate_North'"
    assert only_error(directory).startswith(expected)


def test_bad_id_from_file_name(tmp_path):
    directory = camera_dir(tmp_path, {"Gate North.yaml": GOOD_STREAM})
    assert ":1: id: camera id 'Gate North' must match [a-z0-9-]+" in only_error(directory)


def test_rule_naming_a_missing_zone(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": cam("""\
        zones:
          - {name: gate, polygon: [[0, 0], [1, 0], [1, 1]]}
        rules:
          - name: r
            type: intrusion
            zone: yard
        """)})
    message = only_error(directory)
    assert message.startswith(f"{directory / 'cameras' / 'c.yaml'}:7: rules.0.zone: ")
    assert "'yard'" in message and "'gate'" in message


def test_polygon_with_too_few_points(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": cam("""\
        zones:
          - name: gate
            polygon: [[0.1, 0.1], [0.5, 0.5]]
        """)})
    assert only_error(directory).endswith(":4: zones.0.polygon: a polygon needs at least 3 points, got 2")


def test_point_outside_the_picture_names_the_point(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": cam("""\
        zones:
          - name: gate
            polygon:
              - [0.1, 0.1]
              - [1.2, 0.5]
              - [0.1, 0.9]
        """)})
    message = only_error(directory)
    assert ":6: zones.0.polygon.1: point [1.2, 0.5] is outside 0..1" in message


def with_detector(tmp_path: Path, cameras: dict[str, str], manifest: str) -> Path:
    """A config whose detector manifest (models/test-det.yaml beside config/) is ``manifest``."""
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "test-det.yaml").write_text(manifest)
    site = f"storage: {{path: {tmp_path / 'data'}}}\ndetector: {{model: test-det, model_dirs: [models]}}\n"
    return write_config(tmp_path, cameras={n: textwrap.dedent(t) for n, t in cameras.items()}, site=site)


def test_object_unknown_to_the_detector(tmp_path):
    manifest = "name: test-det\nlabels: [person, car, bicycle]\n"
    files = {"c.yaml": GOOD_STREAM + "detect:\n  objects: [person, persn]\n"}
    directory = with_detector(tmp_path, files, manifest)
    message = only_error(directory)
    assert ":3: detect.objects.1: object 'persn' is not a label of the detector (test-det.yaml)" in message
    assert "person" in message.split("did you mean")[1]


def test_rule_object_unknown_to_the_detector_with_a_labels_file(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "names.txt").write_text("person\ncar\n")
    directory = with_detector(tmp_path, {"c.yaml": cam("""\
        rules:
          - {name: r, type: camera_offline, seconds: 30, objects: [car, unicorn]}
        """)}, "name: test-det\nlabels_file: names.txt\n")
    message = only_error(directory)
    assert ":3: rules.0.objects.1: object 'unicorn' is not a label of the detector (names.txt)" in message


def test_site_default_objects_are_checked_too(tmp_path):
    directory = with_detector(tmp_path, {}, "name: test-det\nlabels: [person]\n")
    (directory / "wawai.yaml").write_text(
        (directory / "wawai.yaml").read_text() + "defaults:\n  detect:\n    objects: [person, truck]\n"
    )
    assert ":5: defaults.detect.objects.1: object 'truck'" in only_error(directory)


def test_label_check_is_skipped_without_a_manifest(tmp_path):
    site = f"storage: {{path: {tmp_path / 'data'}}}\ndetector: {{model: no-such-model}}\n"
    cameras = {"c.yaml": GOOD_STREAM + "detect: {objects: [unicorn]}\n"}
    directory = write_config(tmp_path, cameras=cameras, site=site)
    assert check_config(directory) == []


def test_fps_must_be_positive(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": GOOD_STREAM + "detect:\n  fps: 0\n"})
    assert only_error(directory).endswith(":3: detect.fps: fps must be greater than 0")


def test_site_default_fps_must_be_positive(tmp_path):
    site = f"storage: {{path: {tmp_path / 'data'}}}\ndefaults:\n  detect: {{fps: -1}}\n"
    directory = write_config(tmp_path, cameras={}, site=site)
    message = only_error(directory)
    expected = f"{directory / 'wawai.yaml'}:3: defaults.detect.fps: fps must be greater than 0"
    assert message == expected
    with pytest.raises(ConfigInvalid):
        load_config(directory)


def test_malformed_schedule(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": cam("""\
        zones: [{name: z, polygon: [[0, 0], [1, 0], [1, 1]]}]
        rules:
          - name: night
            type: intrusion
            zone: z
            schedule: "22:00-5:00"
        """)})
    assert ":7: rules.0.schedule: schedule '22:00-5:00' is not HH:MM-HH:MM" in only_error(directory)


@pytest.mark.parametrize("url", ["http://cam/x", "rtmp://cam/live", "rtsp:/cam/x", "rtsp://", "  "])
def test_stream_must_be_rtsp_or_a_file(tmp_path, url):
    directory = camera_dir(tmp_path, {"c.yaml": f'name: C\nstreams:\n  main: "{url}"\n'})
    assert ":3: streams.main: stream " in only_error(directory)


@pytest.mark.parametrize("url", ["rtsp://h/x", "rtsps://u:p@h:322/x", "/abs/file.mp4", "rel/file.mp4"])
def test_stream_accepts_rtsp_and_paths(tmp_path, url):
    assert check_config(camera_dir(tmp_path, {"c.yaml": f"streams: {{main: {url}}}\n"})) == []


def test_relative_file_stream_starts_at_the_config_parent(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": "streams: {main: videos/a.mp4}\n"})
    assert load_config(directory).cameras["c"].streams.main == str((tmp_path / "videos/a.mp4").resolve())


def test_unknown_key(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": GOOD_STREAM + "recrod: {retain_days: 3}\n"})
    expected = ":2: recrod: unknown key (check the spelling; see `wawai config schema`)"
    assert only_error(directory).endswith(expected)


def test_missing_required_key(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": "name: C\n"})
    assert only_error(directory).endswith(":1: streams: required key is missing")


def test_duplicate_yaml_key(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": GOOD_STREAM + "name: a\nname: b\n"})
    assert ":3: name: key 'name' appears twice" in only_error(directory)


def test_yaml_syntax_error_has_a_line(tmp_path):
    directory = camera_dir(tmp_path, {"c.yaml": GOOD_STREAM + "zones: [\n"})
    assert only_error(directory).startswith(f"{directory / 'cameras' / 'c.yaml'}:3: not valid YAML")


def test_yaml_is_loaded_safely(tmp_path):
    evil = "name: !!python/object/apply:os.system [echo hi]\n"
    directory = camera_dir(tmp_path, {"c.yaml": GOOD_STREAM + evil})
    assert "not valid YAML" in only_error(directory)


def test_unset_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("WAWAI_TEST_PW", raising=False)
    directory = camera_dir(tmp_path, {"c.yaml": "streams:\n  main: rtsp://admin:${WAWAI_TEST_PW}@h/x\n"})
    message = only_error(directory)
    assert ":2: streams.main: environment variable WAWAI_TEST_PW is not set" in message


def test_environment_variable_is_filled_in_and_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("WAWAI_TEST_PW", "s3cret")
    directory = camera_dir(tmp_path, {
        "c.yaml": "streams:\n  main: rtsp://admin:${WAWAI_TEST_PW}@h/x\n",
        "d.yaml": "streams:\n  main: http://admin:${WAWAI_TEST_PW}@h/x\n",
    })
    errors = [str(e) for e in check_config(directory)]
    assert len(errors) == 1 and "s3cret" not in errors[0]
    assert load_config(directory).cameras["c"].streams.main == "rtsp://admin:s3cret@h/x"


def test_every_error_is_reported_and_good_cameras_still_load(tmp_path):
    directory = camera_dir(tmp_path, {
        "bad.yaml": """\
            streams: {main: http://x}
            detect: {fps: 0}
            zones: [{name: z, polygon: [[0, 0], [1, 1]]}]
            rules: [{name: r, type: intrusion, zone: nope}]
            """,
        "good.yaml": GOOD_STREAM,
    })
    errors = check_config(directory)
    keys = [e.key for e in errors]
    assert keys == ["streams.main", "detect.fps", "zones.0.polygon", "rules.0.zone"]
    assert [e.line for e in errors] == [1, 2, 3, 4]
    config = load_config(directory)
    assert list(config.cameras) == ["good"]
    assert [e.key for e in config.errors] == keys


def test_a_broken_site_file_does_not_hide_camera_errors(tmp_path):
    site = "web: {port: 0}\n"
    directory = write_config(tmp_path, cameras={"c.yaml": GOOD_STREAM + "detect: {fps: 0}\n"}, site=site)
    errors = [str(e) for e in check_config(directory)]
    assert len(errors) == 2
    assert errors[0].startswith(f"{directory / 'wawai.yaml'}:1: web.port: ")
    assert errors[1].startswith(f"{directory / 'cameras' / 'c.yaml'}:2: detect.fps: ")
    with pytest.raises(ConfigInvalid):
        load_config(directory)
