"""Models that the OpenAPI document names although no route parameter declares them: a request body a
route reads itself (Open311 takes form fields, multipart or JSON) is described with ``request_body``,
and ``add_named_schemas`` puts its model into ``components`` when the document is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

REF_TEMPLATE = "#/components/schemas/{model}"
_NAMED: dict[str, type[BaseModel]] = {}


def request_body(model: type[BaseModel], *media_types: str, required: bool = True) -> dict[str, Any]:
    """``openapi_extra=`` for a route whose body, in each of ``media_types``, has the fields of ``model``."""
    _NAMED[model.__name__] = model
    schema = {"$ref": REF_TEMPLATE.format(model=model.__name__)}
    return {"requestBody": {"required": required,
                            "content": {media_type: {"schema": schema} for media_type in media_types}}}


def add_named_schemas(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the document's components hold every model ``request_body`` named."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, model in _NAMED.items():
            schema = model.model_json_schema(ref_template=REF_TEMPLATE)
            schemas.update(schema.pop("$defs", {}))
            schemas.setdefault(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
