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


def _check_lat_lon(lat: float, lon: float, name: str) -> None:
    if not -90 <= lat <= 90:
        raise ValueError(f"{name}: latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise ValueError(f"{name}: longitude {lon} is outside -180..180")


# --- site: config/wawai.yaml -------------------------------------------------------------------


MAP_IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".webp")


class MapImage(Strict):
    """A site plan drawn under the map instead of tiles: the picture and the places of two corners."""

    path: str  # PNG, JPEG or WebP; relative paths start at the config directory's parent
    south_west: tuple[float, float]  # [lat, lon] of the picture's bottom-left corner
    north_east: tuple[float, float]  # [lat, lon] of its top-right corner

    @field_validator("path")
    @classmethod
    def _picture(cls, value: str) -> str:
        if not value.lower().endswith(MAP_IMAGE_TYPES):
            raise ValueError(f"site plan must be a {', '.join(MAP_IMAGE_TYPES)} file")
        return value

    @model_validator(mode="after")
    def _corners(self) -> MapImage:
        for name, (lat, lon) in (("south_west", self.south_west), ("north_east", self.north_east)):
            _check_lat_lon(lat, lon, name)
        if not (self.south_west[0] < self.north_east[0] and self.south_west[1] < self.north_east[1]):
            raise ValueError("south_west must be south and west of north_east ([lat, lon] each)")
        return self


class MapSection(Strict):
    # The city's tile server ({z}/{x}/{y}, optional {s}); none: a plain background with a scale.
    tile_url: str | None = None
    attribution: str = ""
    max_zoom: int = Field(default=19, ge=1, le=24)
    center: tuple[float, float] | None = None  # [lat, lon]; none: the middle of the cameras
    zoom: int = Field(default=16, ge=1, le=24)
    image: MapImage | None = None

    @field_validator("tile_url")
    @classmethod
    def _tile_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^https?://[^/\s]+/", value) or not all(p in value for p in ("{z}", "{x}", "{y}")):
            raise ValueError("tile_url must be an http(s) URL with {z}, {x} and {y}, "
                             "e.g. https://tiles.example.org/{z}/{x}/{y}.png")
        return value

    @field_validator("center")
    @classmethod
    def _center(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None:
            _check_lat_lon(value[0], value[1], "center")
        return value


class SiteSection(Strict):
    name: str = "Wawai"
    timezone: str = "UTC"
    map: MapSection = MapSection()

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
    # The export_* keys bound clip exports and evidence packages together (one pool).
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
    # Seconds without motion or tracked objects after which only keyframes are decoded and checked for
    # motion (the camera's keyframe interval becomes its check rate); 0 keeps full-rate decoding.
    quiet_after: float = Field(default=3.0, ge=0, le=3600)

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


Severity = Literal["low", "medium", "high", "critical"]


class IncidentsSection(Strict):
    retain_days: float = Field(default=90, gt=0)
    pre_seconds: float = Field(default=5, ge=0)
    post_seconds: float = Field(default=10, ge=0)
    # Seconds an incident of a priority (it starts as the rule's severity) may wait for an acknowledgement
    # before it is escalated (overdue, red, a sound); a priority left out is never escalated.
    acknowledge_within: dict[Severity, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)


class HealthSection(Strict):
    """Camera health samples for the health page's plots (issue 9)."""

    retain_days: float = Field(default=7, gt=0)  # per-minute samples older than this are deleted
    sample_seconds: float = Field(default=60, ge=5, le=3600)


SERVICE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")
AttributeType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class AttributeValue(Strict):
    key: str
    name: str


class ServiceAttribute(Strict):
    """An Open311 attribute: a question the reporting app asks, sent back as attribute[code]."""

    code: str
    description: str  # the question shown to the reporter
    datatype: AttributeType = "string"
    required: bool = False
    order: int | None = None
    datatype_description: str = ""
    values: list[AttributeValue] = Field(default_factory=list)  # for the *valuelist types

    @model_validator(mode="after")
    def _values(self) -> ServiceAttribute:
        if not SERVICE_CODE.match(self.code):
            raise ValueError(f"attribute code {self.code!r} must match [A-Za-z0-9_.-]+")
        if self.datatype.endswith("valuelist") and not self.values:
            raise ValueError(f"a {self.datatype} attribute needs values ([{{key, name}}, ...])")
        return self


class ComplaintService(Strict):
    """A kind of report the public may send (Open311 service), handled by one department."""

    code: str
    name: str
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    group: str  # the department (OPD) that handles it: a user group, like camera groups
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    attributes: list[ServiceAttribute] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not SERVICE_CODE.match(value):
            raise ValueError(f"service code {value!r} must match [A-Za-z0-9_.-]+ (at most 50)")
        return value

    @field_validator("attributes")
    @classmethod
    def _unique_attributes(cls, value: list[ServiceAttribute]) -> list[ServiceAttribute]:
        codes = [attribute.code for attribute in value]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"attribute code {duplicates[0]!r} appears twice")
        return value


class ComplaintsSection(Strict):
    services: list[ComplaintService] = Field(default_factory=list)
    camera_radius_m: float = Field(default=300, gt=0)  # cameras this near a complaint are offered
    photo_max_bytes: ByteSize = 5_000_000
    requests_per_minute: int = Field(default=60, ge=1)  # per integration key

    @field_validator("photo_max_bytes", mode="before")
    @classmethod
    def _size(cls, value: object) -> object:
        return parse_bytes(value) if isinstance(value, str) else value

    @field_validator("services")
    @classmethod
    def _unique_codes(cls, value: list[ComplaintService]) -> list[ComplaintService]:
        codes = [service.code for service in value]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"service code {duplicates[0]!r} appears twice; give each service its own")
        return value

    def service(self, code: str) -> ComplaintService | None:
        return next((service for service in self.services if service.code == code), None)
# --- integrations: what leaves Wawai (issue 13) -----------------------------------------------

EventType = Literal[
    "incident.created", "incident.updated", "incident.escalated",
    "camera.offline", "camera.online", "complaint.created", "complaint.updated",
]
SUBSCRIPTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# The Standard Webhooks spec's example schedule (after the first attempt), in seconds: 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; about 3 days in all before a delivery is given up.
DEFAULT_RETRY_SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]


def _check_webhook_secret(value: str) -> str:
    import base64
    import binascii

    if not value.startswith("whsec_"):
        raise ValueError("a webhook secret is 'whsec_' + base64 of 24-64 random bytes")
    try:
        raw = base64.b64decode(value[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is 'whsec_' + base64; the rest is not base64") from exc
    if not 24 <= len(raw) <= 64:
        raise ValueError(f"a webhook secret holds 24-64 bytes, this one {len(raw)}")
    return value


WebhookSecret = Annotated[str, AfterValidator(_check_webhook_secret)]


class WebhookSubscription(Strict):
    name: str
    url: str
    # One secret, or several while rotating: every one signs, receivers accept any they know.
    secret: WebhookSecret | list[WebhookSecret]
    events: list[EventType] = Field(default_factory=list)  # empty: every type
    groups: list[str] = Field(default_factory=list)  # camera groups; empty: every group
    min_severity: Severity | None = None  # incidents below it are not sent; other events are
    timeout_seconds: float = Field(default=10, gt=0)  # per attempt, connect to last byte

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SUBSCRIPTION_NAME.match(value):
            raise ValueError(f"webhook name {value!r} must match [a-z0-9][a-z0-9_-]*")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("webhook url must be http(s)://host[:port]/path")
        return value

    @property
    def secrets(self) -> list[str]:
        return [self.secret] if isinstance(self.secret, str) else list(self.secret)


class MqttSection(Strict):
    url: str | None = None  # mqtt://host:1883 or mqtts://host:8883; none: MQTT is off
    username: str | None = None
    password: str | None = None
    topic_prefix: str = "wawai"
    client_id: str = "wawai"
    retry_seconds: float = Field(default=5, gt=0)  # while the broker is away, try again this often
    publish_timeout_seconds: float = Field(default=10, gt=0)  # wait this long for the broker's PUBACK

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
                raise ValueError("mqtt url must be mqtt://host[:port] or mqtts://host[:port]")
        return value

    @field_validator("topic_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value or any(ch in value for ch in "#+") or value.startswith("/") or value.endswith("/"):
            raise ValueError("topic_prefix must be a plain topic like 'wawai' (no #, +, outer /)")
        return value


CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE",
    "Other",
]


class CapSection(Strict):
    enabled: bool = False
    sender: str = "wawai@localhost"  # CAP <sender>: no spaces, commas, < or &
    min_severity: Severity = "high"
    rules: list[str] = Field(default_factory=list)  # rule names (or types) that are public-safety; empty: all
    category: CapCategory = "Safety"
    scope: Literal["Public", "Restricted", "Private"] = "Public"
    restriction: str | None = None  # needed with scope Restricted
    radius_km: float = Field(default=0.2, gt=0)  # the circle around the camera's location
    # Incident statuses only a supervisor's action reaches (assign, hold, resolve): the incident is
    # confirmed and the alert's status becomes Actual. An operator's acknowledge keeps it Draft.
    confirmed_statuses: list[str] = Field(default_factory=lambda: ["assigned", "on_hold", "resolved"])
    feed_limit: int = Field(default=50, ge=1, le=1000)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not value or any(ch in value for ch in " ,<&"):
            raise ValueError("cap sender must not contain spaces, commas, '<' or '&'")
        return value

    @model_validator(mode="after")
    def _restricted(self) -> CapSection:
        if self.scope == "Restricted" and not self.restriction:
            raise ValueError("cap scope Restricted needs a restriction")
        return self


class IntegrationsSection(Strict):
    public_url: str | None = None  # base of the links in events (https://wawai.example); none: paths only
    webhooks: list[WebhookSubscription] = Field(default_factory=list)
    mqtt: MqttSection = MqttSection()
    cap: CapSection = CapSection()
    retry_schedule: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))
    retry_jitter: float = Field(default=0.2, ge=0, le=1)  # each wait is scaled by 1 +- this, at random
    retry_after_max_seconds: float = Field(default=86400, gt=0)  # cap on a receiver's Retry-After
    failing_after: int = Field(default=3, ge=1)  # attempts failed in a row before a subscription is failing
    poll_seconds: float = Field(default=1.0, gt=0)  # how often the relay looks for new events
    retain_days: float = Field(default=30, gt=0)  # outbox events (and their deliveries) kept this long

    @model_validator(mode="after")
    def _unique_names(self) -> IntegrationsSection:
        names = [hook.name for hook in self.webhooks]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"webhook names must be unique: {', '.join(twice)}")
        return self


NODE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
NodeRole = Literal["record", "web"]
NODE_ROLES: tuple[NodeRole, ...] = ("record", "web")


class ClusterSection(Strict):
    """Present only on a node of a cluster (PostgreSQL for state and ownership, NATS for events);
    absent, the node is the embedded single node (SQLite allowed, in-process bus)."""

    node: str | None = None  # default: this machine's host name (lower-cased)
    nats_url: str = "nats://127.0.0.1:4222"
    roles: list[NodeRole] = Field(default_factory=lambda: list(NODE_ROLES))
    advertise_url: str | None = None  # how other nodes reach this one; default http://<web.host>:<web.port>
    capacity: int = Field(default=100, ge=0)  # most cameras this node records at once
    lease_seconds: float = Field(default=15, ge=3, le=300)  # a silent node's cameras move after this
    # Node-to-node trust (issue 15, web side): the key that signs a web node's requests to the owner of a
    # camera. From ${VAR}; never logged, shown or echoed. Without it nodes refuse to forward to each other.
    secret: str | None = Field(default=None, min_length=32, repr=False)
    # Every node mounts the same storage.path: a web node reads other nodes' recordings from disk
    # instead of fetching them through the node that wrote them.
    shared_storage: bool = False

    @field_validator("node")
    @classmethod
    def _node(cls, value: str | None) -> str | None:
        if value is not None and not NODE_NAME.match(value):
            raise ValueError(f"node name {value!r} must match [a-z0-9-]+ (at most 63 characters)")
        return value

    @field_validator("nats_url")
    @classmethod
    def _nats(cls, value: str) -> str:
        # Messages never quote the URL: it may hold a user and password.
        servers = [part.strip() for part in value.split(",")]
        for server in servers:
            parts = urlsplit(server)
            if parts.scheme not in ("nats", "tls") or not parts.hostname:
                raise ValueError("nats_url must be nats://HOST:PORT or tls://HOST:PORT, "
                                 "several separated by commas")
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[NodeRole]) -> list[NodeRole]:
        if not value:
            raise ValueError("a node needs at least one role: record, web or both")
        if len(set(value)) != len(value):
            raise ValueError("each role may appear once")
        return value

    @field_validator("advertise_url")
    @classmethod
    def _advertise(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
                raise ValueError("advertise_url must be http(s)://HOST:PORT, without a user or password")
        return value
class ReloadSection(Strict):
    """Hot reload of the config directory (issue 11); SIGHUP and POST /api/config/reload always work."""

    watch: bool = True  # reload when a file in the config directory changes
    force_polling: bool = False  # poll instead of inotify (network file systems, some container mounts)


class SiteConfig(Strict):
    site: SiteSection = SiteSection()
    storage: StorageSection = StorageSection()
    database: DatabaseSection = DatabaseSection()
    web: WebSection = WebSection()
    detector: DetectorSection = DetectorSection()
    defaults: DefaultsSection = DefaultsSection()
    incidents: IncidentsSection = IncidentsSection()
    reload: ReloadSection = ReloadSection()
    health: HealthSection = HealthSection()
    complaints: ComplaintsSection = ComplaintsSection()
    integrations: IntegrationsSection = IntegrationsSection()
    cluster: ClusterSection | None = None


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
    quiet_after: float | None = Field(default=None, ge=0, le=3600)

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


class CameraLocation(Strict):
    """Where the camera is and where it looks (degrees; heading clockwise from north)."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    fov: float | None = Field(default=None, gt=0, le=360)  # horizontal field of view
    address: str | None = Field(default=None, max_length=300)


class CameraConfig(Strict):
    id: str
    name: str | None = None
    group: str = "default"
    streams: StreamsSection
    detect: CameraDetect = CameraDetect()
    zones: list[Zone] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    record: CameraRecord = CameraRecord()
    location: CameraLocation | None = None

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
