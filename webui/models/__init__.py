"""Request and response models of the API, one module per resource, so the OpenAPI document names every
JSON answer and body. Routes import them from here (``from webui.models import IncidentInfo``).

Answers are built as dicts by the modules that own the data (``to_json``) and validated against these
models on the way out; a field added to a ``to_json`` must be added here too (``OpenModel`` keeps the
extra field reaching the client meanwhile, but undocumented).
"""

from webui.models.admin import (
    AuditPage,
    AuditRow,
    AuditVerify,
    ConfigCamera,
    ConfigChange,
    ConfigEcho,
    ConfigStatus,
    EventSchema,
    EvidenceKey,
    ReloadPlanInfo,
    ReloadRecord,
)
from webui.models.cameras import (
    CameraAnalysis,
    CameraHealth,
    CameraHealthPage,
    CameraInfo,
    CameraPlace,
    HealthSamples,
    MapPlan,
    MapSettings,
)
from webui.models.cluster import ClusterCameraOwner, ClusterNodeInfo, ClusterOverview
from webui.models.common import Health, Ok, OpenModel, binary, media
from webui.models.incidents import (
    BulkAnswer,
    BulkSkipped,
    ComplaintInfo,
    HistoryEntry,
    IncidentInfo,
    IncidentPage,
    NearCamera,
)
from webui.models.integrations import Delivery, DeliveryPage, ReplayAnswer, ReplayRequest
from webui.models.open311 import (
    Discovery,
    DiscoveryEndpoint,
    RequestCreated,
    ServiceAttribute,
    ServiceDefinition,
    ServiceInfo,
    ServiceRequestFields,
    ServiceRequestInfo,
)
from webui.models.people import LoginAnswer, NewTokenAnswer, SiteInfo, TokenInfo, UserAccount, UserInfo
from webui.models.video import Activity, IceServers, LayoutInfo, LiveStats, RecordingsOverview

__all__ = [
    "Activity", "AuditPage", "AuditRow", "AuditVerify", "BulkAnswer", "BulkSkipped", "CameraAnalysis",
    "CameraHealth", "CameraHealthPage", "CameraInfo", "CameraPlace", "ClusterCameraOwner", "ClusterNodeInfo",
    "ClusterOverview", "ComplaintInfo", "ConfigCamera", "ConfigChange",
    "ConfigEcho", "ConfigStatus", "Delivery", "DeliveryPage", "Discovery", "DiscoveryEndpoint", "EventSchema",
    "EvidenceKey", "Health", "HealthSamples", "HistoryEntry", "IceServers", "IncidentInfo", "IncidentPage",
    "LayoutInfo", "LiveStats", "LoginAnswer", "MapPlan", "MapSettings", "NearCamera", "NewTokenAnswer", "Ok",
    "OpenModel", "RecordingsOverview", "ReloadPlanInfo", "ReloadRecord", "ReplayAnswer", "ReplayRequest",
    "RequestCreated", "ServiceAttribute", "ServiceDefinition", "ServiceInfo", "ServiceRequestFields",
    "ServiceRequestInfo", "SiteInfo", "TokenInfo", "UserAccount", "UserInfo", "binary", "media",
]
