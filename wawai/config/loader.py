"""Loading and checking config/: wawai.yaml (site) and cameras/*.yaml (one camera per file).

Every problem is collected as a ConfigError naming the file, line and key, never just the first one.
A camera file with errors is left out while the others load; an unusable wawai.yaml stops everything.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from wawai.assets import REPO_ROOT, find_asset
from wawai.config.errors import ConfigError, ConfigInvalid
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig
from wawai.config.yamlfile import KeyPath, YamlDocument, YamlRefused, load_yaml

log = logging.getLogger(__name__)

SITE_FILE = "wawai.yaml"
CAMERA_DIR = "cameras"
_ENV_REF = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_LIKE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # config keys, list indexes, camera ids
MAX_PROBLEM_CHARS = 100  # of a YAML parser message (it may name a tag or an alias from the file)
# Pydantic errors where a value YAML typed (true, 22:00 in YAML 1.1, 0123) was wanted as text.
_WANTS_TEXT = frozenset({"string_type", "literal_error", "enum", "string_pattern_mismatch"})


def default_config_dir() -> Path:
    return Path(os.environ.get("WAWAI_CONFIG") or "config")


def load_config(directory: Path | str) -> WawaiConfig:
    """The usable config. Raises ConfigInvalid when wawai.yaml is broken; bad camera files are logged,
    left out, and kept in ``WawaiConfig.errors``."""
    config, errors = load_config_and_errors(directory)
    if config is None:
        raise ConfigInvalid(errors)
    for error in errors:
        log.error("config: %s (this camera is not started)", error)
    return config


def check_config(directory: Path | str) -> list[ConfigError]:
    """Every error in the directory, in file order."""
    return load_config_and_errors(directory)[1]


def load_config_and_errors(directory: Path | str) -> tuple[WawaiConfig | None, list[ConfigError]]:
    directory = Path(directory)
    site_path = directory / SITE_FILE
    if not directory.is_dir():
        return None, [ConfigError(directory, None, "", "config directory not found (use --config DIR)")]
    errors: list[ConfigError] = []
    loaded_site = _load_site(site_path, errors)
    # With a broken wawai.yaml nothing runs, but the camera files are still checked (against the
    # defaults) so one `wawai config check` shows every error.
    site = loaded_site or SiteConfig()
    skeleton = WawaiConfig(directory=directory, site=site)
    labels, label_source = _detector_labels(skeleton, errors)
    defaults_key: KeyPath = ("defaults", "detect", "objects")
    if labels is not None and loaded_site is not None and site_path.exists():
        site_doc = load_yaml(site_path)  # parsed fine a moment ago
        if defaults_key in site_doc.lines:  # only what the integrator wrote, not the built-in list
            _check_objects(site_path, site_doc, site.defaults.detect.objects, defaults_key, labels,
                           label_source, errors)

    cameras: dict[str, CameraConfig] = {}
    sources: dict[str, Path] = {}
    camera_errors: list[ConfigError] = []
    for path in _camera_files(directory):
        file_errors: list[ConfigError] = []
        camera = _load_camera_contained(path, skeleton, labels, label_source, file_errors)
        if camera is not None and camera.id in cameras:
            file_errors.append(ConfigError(path, _id_line(path), "id", (
                f"camera id {camera.id!r} is already used by {sources[camera.id]}; "
                "give each camera its own id"
            )))
        file_errors.sort(key=lambda error: error.line or 0)
        if camera is not None and not file_errors:
            cameras[camera.id] = camera
            sources[camera.id] = path
        camera_errors.extend(file_errors)
    errors.extend(camera_errors)
    if loaded_site is None:
        return None, errors
    config = WawaiConfig(directory=directory, site=site, cameras=cameras, errors=tuple(camera_errors),
                         sources=sources)
    return config, errors


def _id_line(path: Path) -> int:
    try:
        return load_yaml(path, _camera_roots(path)).line_of(("id",))
    except (OSError, yaml.YAMLError):
        return 1


# --- files ---------------------------------------------------------------------------------------


def _camera_files(directory: Path) -> list[Path]:
    folder = directory / CAMERA_DIR
    if not folder.is_dir():
        return []
    # Links are listed even when broken, so a dangling or refused one is reported, not silently skipped.
    return sorted(
        p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and (p.is_file() or p.is_symlink())
    )


def _read(
    path: Path, errors: list[ConfigError], allowed_roots: tuple[Path, ...] = ()
) -> YamlDocument | None:
    """The parsed file, or None with one error saying why not; never raises, whatever the file holds.

    Messages never quote the file's content (it may be someone else's secret): at most a key name.
    """
    try:
        doc = load_yaml(path, allowed_roots)
    except YamlRefused as exc:
        errors.append(ConfigError(path, exc.line, "", exc.reason))
        return None
    except OSError as exc:
        errors.append(ConfigError(path, None, "", f"cannot read: {exc.strerror or type(exc).__name__}"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or exc.context or "syntax error")[:MAX_PROBLEM_CHARS]
        errors.append(ConfigError(path, line, "", f"not valid YAML: {problem}"))
        return None
    except yaml.reader.ReaderError as exc:
        errors.append(ConfigError(path, None, "", (
            f"not valid YAML: it contains a character YAML does not allow (#x{exc.character:04x}); "
            "remove it"
        )))
        return None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        errors.append(ConfigError(path, None, "", f"not valid YAML ({type(exc).__name__})"))
        return None
    for key_path, line, key in doc.duplicates:
        message = f"key {_shown_key(key)!r} appears twice; keep one"
        errors.append(ConfigError(path, line, _dotted(key_path), message))
    return doc


def _camera_roots(path: Path) -> tuple[Path, ...]:
    """Where a camera file's link may point: the config folder (cameras/ is inside it) or cameras/."""
    return (path.parent.parent, path.parent)


def _substitute_env(doc: YamlDocument, errors: list[ConfigError]) -> Any:
    """``doc.data`` with ${VAR} filled in from the environment; an unset variable is an error."""

    def fill(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            return {key: fill(item, (*path, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return _ENV_REF.sub(lambda m: lookup(m.group(1), path), value)
        return value

    def lookup(name: str, path: KeyPath) -> str:
        if not _ENV_NAME.match(name):
            errors.append(ConfigError(doc.path, doc.line_of(path), _dotted(path),
                                      "a ${...} reference here is not a valid environment variable name"))
            return ""
        if name not in os.environ:
            errors.append(ConfigError(doc.path, doc.line_of(path), _dotted(path), (
                f"environment variable {name} is not set (export {name}=... before starting wawai)"
            )))
            return ""
        return os.environ[name]

    return fill(doc.data, ())


def _validate(model: type[BaseModel], data: Any, doc: YamlDocument, errors: list[ConfigError]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for item in exc.errors(include_input=False, include_url=False):
            loc = tuple(part for part in item["loc"] if isinstance(part, str | int))
            loc = _strip_type_tags(loc, data)
            message = _message(item) + _typed_hint(doc, loc, item["type"])
            errors.append(ConfigError(doc.path, doc.line_of(loc), _dotted(loc), message))
        return None


def _typed_hint(doc: YamlDocument, loc: KeyPath, kind: str) -> str:
    """'; YAML read 1320 as a number: write "22:00" in quotes': what was read and how to write it."""
    typed = doc.typed.get(loc)
    if typed is None or kind not in _WANTS_TEXT:
        return ""
    became, text = typed
    shown = text or "nothing"
    return f" (YAML read {shown} here as {became}; to mean the text, write it in quotes: \"{text}\")"


def _strip_type_tags(loc: KeyPath, data: Any) -> KeyPath:
    """Drop pydantic's union-member tags ("tuple[float, float]") that are not keys in the data."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or in_list:
            node = node[part]
            kept.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not part.startswith(("tuple[", "list[")):
            kept.append(part)  # an unknown or missing key: still the key the user should look at
            node = None
        else:
            node = None
    return tuple(kept)


def _message(item: Any) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `wawai config schema`)"
    if kind == "missing":
        return "required key is missing"
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message


def _dotted(path: KeyPath) -> str:
    """``zones.0.polygon``; a part that is no key name (a pasted line of some other file) shows as ``?``."""
    return ".".join(_shown_key(part) for part in path)


def _shown_key(part: str | int) -> str:
    text = str(part)
    return text if _KEY_LIKE.match(text) else "?"


# --- site --------------------------------------------------------------------------------------------


def _load_site(path: Path, errors: list[ConfigError]) -> SiteConfig | None:
    if not path.exists():
        return SiteConfig()  # every key has a default
    doc = _read(path, errors)
    if doc is None:
        return None
    data = _substitute_env(doc, errors)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append(ConfigError(path, 1, "", "expected a mapping of sections (site:, storage:, ...)"))
        return None
    before = len(errors)
    site = _validate(SiteConfig, data, doc, errors)
    if site is not None and site.cluster is not None:
        _check_cluster_database(path, doc, site, errors)
    return site if len(errors) == before else None


def _check_cluster_database(path: Path, doc: YamlDocument, site: SiteConfig,
                            errors: list[ConfigError]) -> None:
    """Nodes share state and camera ownership through PostgreSQL; a SQLite file cannot be shared."""
    url = site.database.url or "sqlite:///"
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        return  # not a URL at all: the database layer names that problem when it opens it
    if backend != "postgresql":
        key: KeyPath = ("database", "url") if ("database", "url") in doc.lines else ("cluster",)
        errors.append(ConfigError(path, doc.line_of(key), "database.url", (
            "a cluster needs PostgreSQL (database.url: postgresql+psycopg://USER@HOST/DB); "
            "SQLite serves a single node only, without the cluster section"
        )))


# --- detector labels -------------------------------------------------------------------------------


def _detector_labels(config: WawaiConfig, errors: list[ConfigError]) -> tuple[set[str] | None, str]:
    """Labels of the configured detector, from its manifest's ``labels`` or ``labels_file``.

    No manifest found: None (the label check is skipped; the analytics stage reports the missing model).
    """
    name = config.site.detector.model
    dirs = [*config.model_dirs, REPO_ROOT / "models"]
    candidates = [d / f"{name}{suffix}" for d in dirs for suffix in (".yaml", ".yml")]
    manifest = next((path for path in candidates if path.is_file()), None)
    if manifest is None:
        return None, ""
    try:
        raw = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        errors.append(ConfigError(manifest, None, "", f"detector manifest unreadable: {exc}"))
        return None, ""
    if not isinstance(raw, dict):
        return None, ""
    if isinstance(raw.get("labels"), list) and raw["labels"]:
        return {str(label) for label in raw["labels"]}, manifest.name
    labels_file = raw.get("labels_file")
    if isinstance(labels_file, str):
        for candidate in _label_file_candidates(labels_file, manifest.parent, dirs):
            if candidate is not None and candidate.is_file():
                text = candidate.read_text(encoding="utf-8")
                return {line.strip() for line in text.splitlines() if line.strip()}, candidate.name
    return None, ""


def _label_file_candidates(name: str, beside: Path, dirs: list[Path]) -> Iterator[Path | None]:
    yield beside / name
    for folder in dirs:
        yield folder / name
    yield find_asset(f"models/{name}")


def _check_objects(
    path: Path, doc: YamlDocument, objects: list[str] | None, key: KeyPath,
    labels: set[str], source: str, errors: list[ConfigError],
) -> None:
    if not objects:
        return
    for index, name in enumerate(objects):
        if name not in labels:
            close = difflib.get_close_matches(name, sorted(labels), n=3) or sorted(labels)[:5]
            errors.append(ConfigError(path, doc.line_of((*key, index)), _dotted((*key, index)), (
                f"object {name!r} is not a label of the detector ({source}); "
                f"did you mean one of: {', '.join(close)}"
            )))


# --- cameras -------------------------------------------------------------------------------------


def _load_camera_contained(
    path: Path, config: WawaiConfig, labels: set[str] | None, label_source: str, errors: list[ConfigError]
) -> CameraConfig | None:
    """``_load_camera``, with the promise kept even for a fault nobody foresaw: whatever a camera file
    holds, it is left out with one line while the other cameras load."""
    try:
        return _load_camera(path, config, labels, label_source, errors)
    except Exception as exc:
        log.debug("camera file %s: unexpected fault while loading", path, exc_info=True)
        errors.append(ConfigError(path, None, "", f"cannot be loaded ({type(exc).__name__}); check the file"))
        return None


def _load_camera(
    path: Path, config: WawaiConfig, labels: set[str] | None, label_source: str, errors: list[ConfigError]
) -> CameraConfig | None:
    doc = _read(path, errors, _camera_roots(path))
    if doc is None:
        return None
    data = _substitute_env(doc, errors)
    if not isinstance(data, dict):
        errors.append(ConfigError(path, 1, "", "expected a mapping (id:, name:, streams:, ...)"))
        return None
    data = dict(data)
    data.setdefault("id", path.stem)
    camera = _validate(CameraConfig, data, doc, errors)
    # Cross-checks read the raw data, so they report even when the schema check failed too.
    _cross_check(path, doc, data, labels, label_source, errors)
    if camera is None:
        return None
    return _resolve_stream_paths(camera, config)


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _strings(value: Any) -> list[str] | None:
    return [str(item) for item in value] if isinstance(value, list) else None


def _cross_check(
    path: Path, doc: YamlDocument, data: dict[str, Any], labels: set[str] | None, label_source: str,
    errors: list[ConfigError],
) -> None:
    zone_names: list[str] = []
    for index, zone_data in _items(data.get("zones")):
        name = str(zone_data.get("name"))
        if name in zone_names:
            errors.append(ConfigError(path, doc.line_of(("zones", index, "name")), f"zones.{index}.name",
                                      f"zone {name!r} is defined twice; zone names must differ"))
        zone_names.append(name)
    rule_names: list[str] = []
    for index, rule in _items(data.get("rules")):
        name = str(rule.get("name"))
        if name in rule_names:
            errors.append(ConfigError(path, doc.line_of(("rules", index, "name")), f"rules.{index}.name",
                                      f"rule {name!r} is defined twice; rule names must differ"))
        rule_names.append(name)
        zone = rule.get("zone")
        if zone is not None and str(zone) not in zone_names:
            known = ", ".join(repr(n) for n in zone_names) or "none defined"
            errors.append(ConfigError(path, doc.line_of(("rules", index, "zone")), f"rules.{index}.zone", (
                f"rule {name!r} names zone {zone!r}, which is not in zones ({known})"
            )))
        if labels is not None:
            _check_objects(path, doc, _strings(rule.get("objects")), ("rules", index, "objects"), labels,
                           label_source, errors)
    detect = data.get("detect")
    if labels is not None and isinstance(detect, dict):
        objects = _strings(detect.get("objects"))
        _check_objects(path, doc, objects, ("detect", "objects"), labels, label_source, errors)


def _resolve_stream_paths(camera: CameraConfig, config: WawaiConfig) -> CameraConfig:
    """Relative file-path streams are taken from the config's base_dir, like every other path."""
    streams = camera.streams
    update: dict[str, str] = {}
    for key in ("main", "sub"):
        value = getattr(streams, key)
        if value and "://" not in value:
            update[key] = str(config.resolve(value))
    if not update:
        return camera
    return camera.model_copy(update={"streams": streams.model_copy(update=update)})
