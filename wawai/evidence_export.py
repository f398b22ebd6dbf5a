"""Exporting one incident as an evidence package (web and CLI share this; wawai.evidence signs it).

The clip is the incident's clip range (pre- and post-roll included) joined by stream copy through the
recorder's ``ClipExporter``; the snapshot is the stored JPEG with its boxes and zone. Blocking: the web
app runs it in the export pool it shares with clip exports (one bound for every export of the node).
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wawai.config.schema import CameraConfig
from wawai.db.incidents import Incident
from wawai.evidence import EvidenceRange, build_package, site_key
from wawai.files import sha256_of
from wawai.recordings import ClipExporter, NothingRecorded


@dataclass(frozen=True)
class EvidenceFile:
    path: Path
    sha256: str
    manifest: dict[str, Any]


def export_evidence(exporter: ClipExporter, storage: Path, incident: Incident, camera: CameraConfig | None,
                    exported_by: str, timezone: str, output: Path) -> EvidenceFile:
    """Write the package at ``output``; raises NothingRecorded (no footage)."""
    if incident.camera_id is None:
        raise NothingRecorded(f"incident {incident.id} is a public report without a camera: no footage")
    work = storage / "exports" / f".evidence-{uuid.uuid4().hex}"
    try:
        work.mkdir(parents=True)
        end = incident.clip_end if incident.clip_end is not None else time.time()
        clip = exporter.export_clip(incident.camera_id, incident.clip_start, end, work / "clip.mp4")
        files = {"clip.mp4": clip.path}
        if incident.snapshot_path and (storage / incident.snapshot_path).is_file():
            files["snapshot.jpg"] = storage / incident.snapshot_path
        camera_facts = {"id": incident.camera_id, "name": camera.display_name if camera else None,
                        "group": camera.group if camera else None}
        manifest = build_package(output, site_key(storage), incident=incident.to_json(), camera=camera_facts,
                                 files=files, clip_range=EvidenceRange(clip.start, clip.end),
                                 exported_by=exported_by, timezone=timezone)
        return EvidenceFile(output, sha256_of(output), manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
