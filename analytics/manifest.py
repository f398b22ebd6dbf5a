"""Detector manifests: models/<name>.yaml says which file, which checksum, and how to feed and read it.

A manifest names the weights file but never ships it. The file (and a labels file) is looked up beside
the manifest, in the configured ``detector.model_dirs``, then in the shared assets (``models/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wawai.assets import REPO_ROOT, find_asset
from wawai.files import sha256_of


class ModelError(Exception):
    """A model that cannot be used; the message is one line naming what is wrong and how to fix it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Strict):
    width: int = Field(ge=8)
    height: int = Field(ge=8)
    colour: Literal["bgr", "rgb"] = "bgr"
    scale: float = Field(default=1.0, gt=0)  # pixel values 0..255 are multiplied by this


class ManifestFile(_Strict):
    name: str
    file: str
    sha256: str | None = None
    format: str
    input: InputSpec
    letterbox: Literal["top_left", "center", "none"] = "top_left"
    pad_value: int = Field(default=114, ge=0, le=255)
    nms_iou: float = Field(default=0.45, gt=0, le=1)
    labels: list[str] | None = None
    labels_file: str | None = None
    url: str | None = None  # the weights' upstream download (the model's own release): `wawai model fetch`
    # The checksum of the file at ``url`` when upstream's bytes differ from ``sha256``'s build of the same
    # network (another export of the same weights); either file is accepted.
    url_sha256: str | None = None
    license: str | None = None  # SPDX id of the weights' licence, printed when they are fetched

    def accepted_sha256(self) -> set[str]:
        """Checksums a weights file may have; empty when the manifest names none."""
        return {value.lower() for value in (self.sha256, self.url_sha256) if value}


@dataclass(frozen=True)
class ModelManifest:
    """A manifest with its files found and its labels read."""

    spec: ManifestFile
    manifest_path: Path
    model_path: Path
    labels: list[str]

    @property
    def name(self) -> str:
        return self.spec.name


def fetch_command(name: str) -> str:
    """The command that gets a model's weights (shown wherever a missing model is reported)."""
    return f"wawai model fetch {name}"


def search_dirs(model_dirs: list[str], base: Path) -> list[Path]:
    """Where manifests and weights are looked for: configured dirs (relative to ``base``), then the repo."""
    dirs: list[Path] = []
    for entry in model_dirs:
        path = Path(entry).expanduser()
        dirs.append(path if path.is_absolute() else base / path)
    dirs.append(REPO_ROOT / "models")
    unique: list[Path] = []
    for path in dirs:
        if path not in unique:
            unique.append(path)
    return unique


def _find_file(name: str, dirs: list[Path]) -> Path | None:
    direct = Path(name).expanduser()
    if direct.is_absolute():
        return direct if direct.is_file() else None
    for folder in dirs:
        if (folder / name).is_file():
            return folder / name
    return find_asset(f"models/{name}")


def find_manifest(name: str, dirs: list[Path]) -> Path:
    for folder in dirs:
        for suffix in (".yaml", ".yml"):
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    looked = ", ".join(str(d) for d in dirs)
    raise ModelError(f"detector model {name!r}: no manifest {name}.yaml in {looked}; set detector.model")


def read_spec(manifest_path: Path) -> ManifestFile:
    """Parse one manifest file; raises ModelError with a one-line reason."""
    try:
        raw = yaml.safe_load(manifest_path.read_text()) or {}
        return ManifestFile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0:3]
        raise ModelError(f"{manifest_path}: not a valid manifest: {' '.join(first)}") from exc


def load_manifest(name: str, model_dirs: list[str], base: Path, *, verify: bool = True) -> ModelManifest:
    """Read and check one manifest; raises ModelError with a one-line reason."""
    dirs = search_dirs(model_dirs, base)
    manifest_path = find_manifest(name, dirs)
    spec = read_spec(manifest_path)
    lookup = list(dict.fromkeys([manifest_path.parent, *dirs]))  # each folder named once
    model_path = _find_file(spec.file, lookup)
    if model_path is None:
        raise ModelError(
            f"{manifest_path.name}: model file {spec.file!r} not found in {', '.join(map(str, lookup))} "
            f"or the shared assets; get it with `{fetch_command(spec.name)}` or place it in one of "
            "detector.model_dirs"
        )
    if verify and spec.sha256:
        actual = sha256_of(model_path)
        if actual.lower() not in spec.accepted_sha256():
            raise ModelError(
                f"{model_path}: sha256 {actual[:12]}... does not match the manifest's {spec.sha256[:12]}... "
                f"({manifest_path.name}); wrong or corrupted file: replace it with "
                f"`{fetch_command(spec.name)}`"
            )
    labels = _labels(spec, manifest_path, lookup)
    return ModelManifest(spec=spec, manifest_path=manifest_path, model_path=model_path, labels=labels)


def _labels(spec: ManifestFile, manifest_path: Path, lookup: list[Path]) -> list[str]:
    if spec.labels:
        return list(spec.labels)
    if not spec.labels_file:
        raise ModelError(f"{manifest_path.name}: needs labels or labels_file")
    path = _find_file(spec.labels_file, lookup)
    if path is None:
        raise ModelError(f"{manifest_path.name}: labels file {spec.labels_file!r} not found")
    labels = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not labels:
        raise ModelError(f"{path}: labels file is empty")
    return labels
