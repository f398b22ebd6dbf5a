"""GET /api/health: the one public API route (for load balancers and `curl`); tells nothing sensitive."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from webui.deps import Ctx
from webui.models import Health

router = APIRouter()


@router.get("/api/health", response_model=Health)
def health(ctx: Ctx) -> dict[str, object]:
    try:
        with ctx.sessions() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the answer itself must not fail: report it
        database = "error"
    return {"status": "ok" if database == "ok" else "degraded", "database": database}
