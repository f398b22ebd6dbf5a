"""The loaded configuration as the rest of the program sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wawai.config.errors import ConfigError
from wawai.config.schema import CameraConfig, SiteConfig


@dataclass(frozen=True)
class WawaiConfig:
    directory: Path
    site: SiteConfig
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    # Camera files that were rejected (the node runs without them and logs these).
    errors: tuple[ConfigError, ...] = ()
    # The file each camera came from (hot reload keeps a camera running when its file turns bad).
    sources: dict[str, Path] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        """Where relative paths in config (storage.path, model_dirs, file streams) start: DIR/.."""
        return self.directory.resolve().parent

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    @property
    def storage_path(self) -> Path:
        return self.resolve(self.site.storage.path)

    @property
    def model_dirs(self) -> list[Path]:
        return [self.resolve(entry) for entry in self.site.detector.model_dirs]

    @property
    def database_url(self) -> str:
        """The configured URL; a relative SQLite file is taken from base_dir like every other path."""
        url = self.site.database.url
        if not url:
            return f"sqlite:///{self.storage_path / 'wawai.db'}"
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self.resolve(url[len(prefix):]))
        return url
