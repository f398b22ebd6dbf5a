"""A fuzzer over camera files: whatever one file holds, loading never fails and the good cameras load.

Three generators: raw bytes, YAML-token soup (anchors, aliases, tags, flow brackets, YAML 1.1 words),
and well-formed documents made of the schema's own keys with random values. Bounded examples and
derandomized, so the gate is the same on every run; raise ``max_examples`` locally to dig deeper.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.test_hostile_config import GOOD, VIDEO
from tests.support.app_fixtures import write_config
from wawai.config.loader import load_config_and_errors

FUZZ_FILE = "zz-fuzz.yaml"  # sorts after the good files: it cannot take their ids first
EXAMPLES = int(os.environ.get("WAWAI_FUZZ_EXAMPLES", "100"))  # per generator
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOKENS = [
    "&a ", "&b ", "*a", "*b", "[", "]", "{", "}", ": ", ", ", "- ", "\n", "  ", "? ", "<<: ", "!!binary ",
    "!!timestamp ", "!!int ", "!!float ", "!!str ", "!!set ", "!!omap ", "!!python/object ", "!custom ",
    "off", "on", "yes", "no", "22:00", "0x1F", "0o17", "0123", ".nan", "-.inf", "1e999", "~", "null",
    "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "|\n", ">\n", "\t", "\x00", "\ufeff", "${", "}",
    "${HOME}", "${NOT_SET_ANYWHERE}", "id", "name", "streams", "main", "sub", "zones", "polygon",
    "rules", "record", "detect", "mode", "schedule", "0.5", "-1", "99999999999999999999", "rtsp://u:p@h/x",
]
KEYS = ["id", "name", "group", "streams", "main", "sub", "loop", "stall_seconds", "detect", "enabled",
        "fps", "objects", "min_score", "max_width", "motion_masks", "zones", "polygon", "rules", "type",
        "zone", "schedule", "severity", "seconds", "count", "line", "direction", "record", "mode",
        "retain_days", "segment_seconds", "unknown", "<<"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["off", "on", "22:00", "intrusion", str(VIDEO), "person"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=40,
)


def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "fuzz"
    if not directory.exists():
        directory.mkdir()
        write_config(directory, cameras=dict(GOOD))
    return directory / "config"


def check_one(directory: Path, content: bytes) -> None:
    target = directory / "cameras" / FUZZ_FILE
    target.write_bytes(content)
    config, errors = load_config_and_errors(directory)  # must not raise, whatever the content
    assert config is not None
    assert {"good-a", "good-b"} <= set(config.cameras)
    for error in errors:
        assert error.file.name == FUZZ_FILE, str(error)
        assert "\n" not in str(error)


@FUZZ
@given(content=st.binary(max_size=3000))
def test_raw_bytes(tmp_path, content):
    check_one(config_dir(tmp_path), content)


@FUZZ
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=80))
def test_yaml_token_soup(tmp_path, parts):
    check_one(config_dir(tmp_path), "".join(parts).encode("utf-8", "surrogatepass"))


@FUZZ
@given(document=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
def test_documents_of_schema_keys(tmp_path, document):
    text = yaml.safe_dump(document, allow_unicode=True)
    check_one(config_dir(tmp_path), text.encode("utf-8", "surrogatepass"))
