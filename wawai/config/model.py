"""The loaded configuration as the rest of the program sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wawai.config.schema import CameraConfig, SiteConfig


@dataclass(frozen=True)
class WawaiConfig:
    directory: Path
    site: SiteConfig
    cameras: dict[str, CameraConfig] = field(default_factory=dict)

    @property
    def storage_path(self) -> Path:
        path = Path(self.site.storage.path)
        return path if path.is_absolute() else (self.directory.parent / path).resolve()

    @property
    def database_url(self) -> str:
        return self.site.database.url or f"sqlite:///{self.storage_path / 'wawai.db'}"
