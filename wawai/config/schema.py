"""Pydantic models of the integrator's contract: config/wawai.yaml and config/cameras/*.yaml.

One model per section. Every site key has a default, so an empty wawai.yaml is valid. Unknown keys are
errors everywhere. Cross-file checks (duplicate ids, labels known to the detector) live in the loader.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from wawai.config.units import parse_bytes

CAMERA_ID = re.compile(r"^[a-z0-9-]+$")
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")  # "rtsp:/host": a URL with a typo
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")  # a Windows drive path is a file path
SCHEDULE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # no NaN, no infinity


ByteSize = Annotated[int, Field(ge=0)]


# --- site: config/wawai.yaml -------------------------------------------------------------------


class SiteSection(Strict):
    name: str = "Wawai"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Jakarta)") from exc
        return value


class StorageSection(Strict):
    path: str = "./data"
    max_bytes: ByteSize | None = None  # none: limited by min_free_bytes alone
    min_free_bytes: ByteSize = 1_000_000_000

    @field_validator("max_bytes", "min_free_bytes", mode="before")
    @classmethod
    def _sizes(cls, value: object) -> object:
        return parse_bytes(value) if isinstance(value, str) else value


class DatabaseSection(Strict):
    url: str | None = None  # default: sqlite:///<storage.path>/wawai.db


class WebSection(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # WebRTC: host addresses offered in ICE candidates (empty: every local address) and the UDP ports.
    ice_hosts: list[str] = Field(default_factory=list)
    udp_ports: tuple[int, int] | None = None
    stun_urls: list[str] = Field(default_factory=list)
    turn_urls: list[str] = Field(default_factory=list)
    turn_username: str | None = None
    turn_password: str | None = None
    # Sign-in: how long a browser session lasts, and how many failed logins are allowed per window,
    # per user name and per client address, before further attempts get 429.
    session_hours: float = Field(default=12, gt=0)
    login_window_seconds: float = Field(default=900, gt=0)
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    # Hardening (issue 17): live views open at once, per user and in total (beyond: 503, Retry-After).
    live_max_sessions_per_user: int = Field(default=32, ge=1)
    live_max_sessions: int = Field(default=200, ge=1)
    # Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For / -Proto is believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Heavy work in its own bounded pools (wawai.workpool), beyond workers + queue: 503 + Retry-After.
    export_workers: int = Field(default=2, ge=1, le=64)
    export_queue: int = Field(default=8, ge=0, le=10_000)
    exports_per_user: int = Field(default=2, ge=1)
    login_workers: int = Field(default=2, ge=1, le=64)
    login_queue: int = Field(default=64, ge=0, le=10_000)


class DetectorSection(Strict):
    model: str = "yolox-nano"  # a manifest name in one of model_dirs
    model_dirs: list[str] = Field(default_factory=lambda: ["models"])
    threads: int = Field(default=2, ge=1)
    providers: list[str] = Field(default_factory=lambda: ["CPUExecutionProvider"])
    batch_max: int = Field(default=4, ge=1)


class DetectSettings(Strict):
    enabled: bool = True
    fps: float = 5.0
    objects: list[str] = Field(default_factory=lambda: ["person", "car", "motorcycle", "bus", "truck"])
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    max_width: int = Field(default=1280, ge=64)
    # Polygons (x, y in 0..1) where motion is ignored: trees, clocks, road signs with LEDs.
    motion_masks: list[list[tuple[float, float]]] = Field(default_factory=list)

    @field_validator("fps")
    @classmethod
    def _positive_fps(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("fps must be greater than 0")
        return value


class RecordSettings(Strict):
    mode: Literal["continuous", "events", "off"] = "continuous"
    retain_days: float = Field(default=14, gt=0)
    segment_seconds: float = Field(default=10, ge=1, le=600)


class DefaultsSection(Strict):
    detect: DetectSettings = DetectSettings()
    record: RecordSettings = RecordSettings()


class IncidentsSection(Strict):
    retain_days: float = Field(default=90, gt=0)
    pre_seconds: float = Field(default=5, ge=0)
    post_seconds: float = Field(default=10, ge=0)


class SiteConfig(Strict):
    site: SiteSection = SiteSection()
    storage: StorageSection = StorageSection()
    database: DatabaseSection = DatabaseSection()
    web: WebSection = WebSection()
    detector: DetectorSection = DetectorSection()
    defaults: DefaultsSection = DefaultsSection()
    incidents: IncidentsSection = IncidentsSection()


# --- cameras: config/cameras/*.yaml --------------------------------------------------------------

def _check_point(point: tuple[float, float]) -> tuple[float, float]:
    x, y = point
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError(f"point [{x}, {y}] is outside 0..1 (coordinates are fractions of the picture)")
    return point


# x, y as fractions of the picture; checked per point so an error names the point's own line.
Point = Annotated[tuple[float, float], AfterValidator(_check_point)]


class StreamsSection(Strict):
    main: str
    sub: str | None = None
    loop: bool = False  # for file paths: start again at the end (replay, demo)
    stall_seconds: float = Field(default=10, gt=0)

    @field_validator("main", "sub")
    @classmethod
    def _url_or_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # Messages never quote the value: it may hold a password.
        if not value.strip():
            raise ValueError("stream is empty: give an rtsp:// or rtsps:// URL or a file path")
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme and scheme not in ("rtsp", "rtsps"):
            raise ValueError(f"stream must be an rtsp:// or rtsps:// URL or a file path, not {scheme}://")
        if scheme and not urlsplit(value).hostname:
            raise ValueError(f"stream URL has no host (expected {scheme}://[user:pass@]host[:port]/path)")
        if not scheme and _URL_LIKE.match(value) and not _DRIVE.match(value):
            raise ValueError("stream looks like a URL but is not rtsp:// or rtsps://; use one or a file path")
        return value


class CameraDetect(Strict):
    enabled: bool | None = None
    fps: float | None = None
    objects: list[str] | None = None
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    max_width: int | None = Field(default=None, ge=64)
    motion_masks: list[list[Point]] | None = None

    @field_validator("fps")
    @classmethod
    def _positive_fps(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("fps must be greater than 0")
        return value


class CameraRecord(Strict):
    mode: Literal["continuous", "events", "off"] | None = None
    retain_days: float | None = Field(default=None, gt=0)
    segment_seconds: float | None = Field(default=None, ge=1, le=600)


class Zone(Strict):
    name: str
    polygon: list[Point]

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, value: list[Point]) -> list[Point]:
        if len(value) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(value)}")
        return value


RuleType = Literal["intrusion", "loitering", "line_crossing", "crowd", "camera_offline"]


class Rule(Strict):
    name: str
    type: RuleType
    zone: str | None = None
    objects: list[str] | None = None  # default: the camera's detect.objects
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    min_area: float = Field(default=0.0, ge=0.0, le=1.0)  # box area as a fraction of the picture
    max_area: float = Field(default=1.0, ge=0.0, le=1.0)
    schedule: str | None = None  # "22:00-05:00", the site's local time
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    cooldown: float = Field(default=30, ge=0)  # seconds before the same rule fires again for a camera
    seconds: float | None = Field(default=None, ge=0)  # loitering, crowd, camera_offline
    count: int | None = Field(default=None, ge=1)  # crowd
    line: tuple[Point, Point] | None = None  # line_crossing
    direction: Literal["a_to_b", "b_to_a", "any"] = "any"

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None and not SCHEDULE.match(value):
            raise ValueError(f"schedule {value!r} is not HH:MM-HH:MM (24 h, e.g. \"22:00-05:00\")")
        return value

    @model_validator(mode="after")
    def _needs(self) -> Rule:
        need: dict[str, tuple[str, ...]] = {
            "intrusion": ("zone",),
            "loitering": ("zone", "seconds"),
            "line_crossing": ("line",),
            "crowd": ("zone", "count"),
            "camera_offline": ("seconds",),
        }
        missing = [key for key in need[self.type] if getattr(self, key) is None]
        if missing:
            raise ValueError(f"a {self.type} rule needs {' and '.join(missing)}")
        return self


class CameraConfig(Strict):
    id: str
    name: str | None = None
    group: str = "default"
    streams: StreamsSection
    detect: CameraDetect = CameraDetect()
    zones: list[Zone] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    record: CameraRecord = CameraRecord()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CAMERA_ID.match(value):
            raise ValueError(f"camera id {value!r} must match [a-z0-9-]+ (lower-case letters, digits, '-')")
        return value

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def detect_settings(self, defaults: DetectSettings) -> DetectSettings:
        """This camera's detect settings with the site defaults filled in."""
        own = self.detect.model_dump(exclude_none=True)
        return defaults.model_copy(update=own)

    def record_settings(self, defaults: RecordSettings) -> RecordSettings:
        own = self.record.model_dump(exclude_none=True)
        return defaults.model_copy(update=own)
