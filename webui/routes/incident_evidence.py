"""Evidence: ``POST /api/incidents/{id}/evidence`` answers the signed ZIP (supervisor; audited) and
``GET /api/evidence/pubkey`` the site's public key to verify packages with."""

from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from wawai import audit
from wawai.db.incidents import Incident
from wawai.evidence import fingerprint, public_pem, site_key
from wawai.evidence_export import EvidenceFile, export_evidence
from wawai.recordings import SERVICE_NAME, ClipExporter, NothingRecorded
from wawai.workpool import PoolFull
from webui.deps import Ctx, CurrentUser, DbSession, Pools, SupervisorUser, busy, incident_for
from webui.models import EvidenceKey, binary

router = APIRouter()


def _audit(db: Session, user_name: str, incident: Incident, package: EvidenceFile) -> None:
    audit.record(db, user_name, "evidence.export", camera_id=incident.camera_id, incident=incident.id,
                 sha256=package.sha256, files=package.manifest["files"], via="api")
    db.commit()


@router.post("/api/incidents/{incident_id}/evidence", response_class=FileResponse,
             responses=binary("application/zip", "the signed evidence package (SHA-256: X-Content-SHA256)"))
async def evidence(
    incident_id: int, user: SupervisorUser, ctx: Ctx, db: DbSession, pools: Pools
) -> FileResponse:
    """The incident's signed evidence ZIP; its SHA-256 in ``X-Content-SHA256``. Audited.

    The export runs in the node's export pool, the one clip exports use (``web.export_workers``,
    ``web.export_queue``, ``web.exports_per_user`` bound both together); beyond it: 503 with Retry-After.
    """
    incident = await run_in_threadpool(incident_for, user, incident_id, ctx, db)
    service = ctx.services.get(SERVICE_NAME)
    if service is None:
        raise HTTPException(status_code=503, detail="recording is not running on this node")
    output = ctx.storage / "exports" / f"evidence-{incident.id}-{uuid.uuid4().hex[:8]}.zip"
    try:
        package = await pools.exports.run(
            export_evidence, cast(ClipExporter, service), ctx.storage, incident,
            ctx.config.cameras.get(incident.camera_id or ""), user.name, ctx.config.site.site.timezone,
            output, key=user.name,
        )
    except NothingRecorded as exc:
        raise HTTPException(status_code=404, detail=f"nothing recorded for incident {incident_id}") from exc
    except PoolFull as exc:
        raise busy(exc) from None
    await run_in_threadpool(_audit, db, user.name, incident, package)
    return FileResponse(package.path, media_type="application/zip",
                        filename=f"incident-{incident.id}-evidence.zip",
                        headers={"X-Content-SHA256": package.sha256},
                        background=BackgroundTask(package.path.unlink, missing_ok=True))


@router.get("/api/evidence/pubkey", response_model=EvidenceKey)
def pubkey(user: CurrentUser, ctx: Ctx) -> dict[str, Any]:
    key = site_key(ctx.storage)
    return {"algorithm": "Ed25519", "public_key": public_pem(key), "fingerprint": fingerprint(key)}
