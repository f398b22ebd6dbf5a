"""GET /api/docs: the API page (renders GET /api/openapi.json in the browser; behind sign-in)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from webui.deps import CurrentUser

router = APIRouter()

PAGE = Path(__file__).resolve().parent.parent / "static" / "apidocs.html"


@router.get("/api/docs", response_class=FileResponse, responses={200: {"content": {"text/html": {}}}})
def api_docs(user: CurrentUser) -> FileResponse:
    return FileResponse(PAGE, media_type="text/html")
