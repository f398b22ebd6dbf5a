"""Open311 GeoReport v2 in its JSON format (``.json``): the spec's field names, as its apps expect them.
The XML format (the default) carries the same fields as elements."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DiscoveryEndpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[DiscoveryEndpoint]


class ServiceInfo(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool  # true: the service has attributes (GET services/{code} lists them)
    type: str
    keywords: str  # comma-separated
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class ServiceRequestInfo(BaseModel):
    """A service request as its reporter's app sees it: status and notes, never the reporter."""

    service_request_id: str
    status: str  # open or closed
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str  # ISO 8601 with the site's offset
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class RequestCreated(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


class ServiceRequestFields(BaseModel):
    """The fields of ``POST requests``, sent form-encoded (the spec), as multipart with a ``photo`` file,
    or as a JSON object of the same names (``attribute`` then an object of code -> value or values)."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is refused (400), naming it

    api_key: str | None = Field(default=None, description="the calling app's key (or ?api_key=)")
    jurisdiction_id: str | None = None  # accepted and ignored: one jurisdiction per site
    service_code: str
    description: str | None = None
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    media_url: str | None = None
    attribute: dict[str, str | list[str]] | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
