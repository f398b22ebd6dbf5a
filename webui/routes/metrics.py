"""GET /metrics: Prometheus text format (prometheus-client), signed-in callers only (an API token works).

A fresh registry per scrape, filled from the same figures as the health page (only cameras the caller
may see), plus the process's own CPU and memory (prometheus-client's process collector).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from wawai.camera_health import CameraFacts, camera_facts, storage_bytes
from wawai.integrations.deliveries import OutboxCollector
from wawai.integrations.service import subscription_names
from wawai.stage import StageContext
from webui.deps import Ctx, CurrentUser, DbSession, visible_cameras
from webui.models import binary

router = APIRouter()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATES = ("connecting", "online", "offline", "error")


class CameraCollector(Collector):
    def __init__(self, facts: list[CameraFacts], stored: dict[str, int]) -> None:
        self.facts = facts
        self.stored = stored

    def collect(self) -> Iterator[Metric]:
        label = ["camera"]
        up = GaugeMetricFamily("wawai_camera_up", "1 while the camera's main stream is online", labels=label)
        state = GaugeMetricFamily("wawai_camera_state", "ingest state (1 for the current one)",
                                  labels=["camera", "state"])
        fps = GaugeMetricFamily("wawai_camera_fps", "frames per second received", labels=label)
        bitrate = GaugeMetricFamily("wawai_camera_bitrate_kbps", "bitrate received, kbit/s", labels=label)
        keyframe = GaugeMetricFamily("wawai_camera_keyframe_interval_seconds", "keyframe interval",
                                     labels=label)
        reconnects = CounterMetricFamily("wawai_camera_reconnects", "reconnects since start", labels=label)
        drops = CounterMetricFamily("wawai_queue_drops", "items dropped by slow consumers", labels=label)
        recording = GaugeMetricFamily("wawai_recording", "1 while the camera is being recorded", labels=label)
        stored = GaugeMetricFamily("wawai_recording_bytes", "bytes of recorded segments", labels=label)
        requests = CounterMetricFamily("wawai_detector_requests", "detector calls for the camera (rate: fps)",
                                       labels=label)
        inference = GaugeMetricFamily("wawai_detector_inference_ms", "detector inference time, ms",
                                      labels=label)
        queue = GaugeMetricFamily("wawai_detector_queue_ms", "wait before inference, ms", labels=label)
        for item in self.facts:
            cam = [item.camera_id]
            up.add_metric(cam, 1.0 if item.state == "online" else 0.0)
            for name in STATES:
                state.add_metric([item.camera_id, name], 1.0 if item.state == name else 0.0)
            for family, value in ((fps, item.fps), (bitrate, item.bitrate_kbps),
                                  (keyframe, item.keyframe_interval),
                                  (inference, item.detector_inference_ms), (queue, item.detector_queue_ms)):
                if value is not None:
                    family.add_metric(cam, float(value))
            reconnects.add_metric(cam, float(item.reconnects))
            drops.add_metric(cam, float(item.drops + item.recorder_drops))
            recording.add_metric(cam, 1.0 if item.recording == "recording" else 0.0)
            stored.add_metric(cam, float(self.stored.get(item.camera_id, 0)))
            if item.detector_requests is not None:
                requests.add_metric(cam, float(item.detector_requests))
        yield from (up, state, fps, bitrate, keyframe, reconnects, drops, recording, stored, requests,
                    inference, queue)


def scrape(ctx: StageContext, camera_ids: list[str], stored: dict[str, int]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
    registry.register(CameraCollector([camera_facts(ctx, cid) for cid in camera_ids], stored))
    # Outbox subscriptions (issue 13): wawai_integration_failing, wawai_integration_deliveries.
    registry.register(OutboxCollector(ctx.sessions, subscription_names(ctx.config),
                                      ctx.config.site.integrations.failing_after))
    return generate_latest(registry)


@router.get("/metrics", response_class=Response,
            responses=binary("text/plain", "Prometheus text format 0.0.4"))
def metrics(user: CurrentUser, ctx: Ctx, db: DbSession) -> Response:
    cameras = [camera.id for camera in visible_cameras(user, ctx)]
    return Response(scrape(ctx, cameras, storage_bytes(db)), media_type=CONTENT_TYPE)
