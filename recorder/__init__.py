"""Recorder stage: stream-copy fMP4 segments, the segment index, retention and quota, crash recovery,
clip export. The runtime calls ``create_stage(ctx)``; the web app and the CLI reach recordings through
``ctx.services["recordings"]`` (``wawai.recordings.ClipExporter``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wawai.stage import Stage, StageContext


def create_stage(ctx: StageContext) -> Stage:
    from recorder.stage import RecorderStage

    return RecorderStage(ctx)
