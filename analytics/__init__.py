"""Analytics: motion-gated ONNX detection, tracking, zones and rules, incidents.

The runtime calls ``create_stage(ctx)``; heavy imports (onnxruntime, OpenCV) wait until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.stage import AnalyticsStage
    from wawai.stage import StageContext


def create_stage(ctx: StageContext) -> AnalyticsStage:
    from analytics.stage import AnalyticsStage

    return AnalyticsStage(ctx)


__all__ = ["create_stage"]
