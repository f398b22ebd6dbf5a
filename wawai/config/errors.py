"""A config problem, located: ``config/cameras/gate.yaml:12: zones.0.polygon: a polygon needs ...``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfigError:
    file: Path
    line: int | None  # 1-based; None when the file could not be read at all
    key: str  # dotted key path inside the file ("zones.0.polygon"); "" for the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigInvalid(Exception):
    """The site file (wawai.yaml) is unusable, so nothing can run; holds every error found."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))
