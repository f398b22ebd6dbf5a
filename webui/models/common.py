"""The base models and the ``responses=`` helpers for answers that are not JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class OpenModel(BaseModel):
    """A model whose extra keys still reach the client: for shapes that are open by nature (a config
    echo, a JSON Schema document) and for answers assembled by stages that may add a key."""

    model_config = ConfigDict(extra="allow")


class Health(OpenModel):
    status: str
    database: str


class Ok(OpenModel):
    ok: bool


def media(*media_types: str) -> dict[str, dict[str, Any]]:
    """The ``content`` of an OpenAPI answer with these media types and no JSON schema."""
    return {media_type: {} for media_type in media_types}


def binary(media_type: str, description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers a file or other non-JSON body."""
    return {status: {"content": media(media_type), "description": description}}
