"""INT8 against FP32 in the same run: detector speed (raw onnxruntime) and agreement on the shared footage.

    python bench/quantize.py [--frames 40] [--threads 2] [--step 4]

Quantizes yolox-nano with `wawai model quantize` into a temp folder (calibrated on the two shared
people clips), then runs both models on every ``step``-th frame of the walkway and the indoor clip.
Agreement: the share of FP32 person detections (score >= 0.5) that the INT8 model also finds with
IoU >= 0.5. Prints one JSON line; the baseline is the FP32 model (ratio = INT8 fps / FP32 fps).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.detection import Detection
from analytics.detector import Detector
from analytics.manifest import load_manifest
from wawai.assets import find_asset
from wawai.cli import main as wawai

CLIPS = ["video/vtest_640x480_h264.mp4", "video/intel_one-by-one-person_768x432_60s_h264.mp4"]
CALIBRATION = ["video/vtest_640x480_30s_h264.mp4", "video/intel_one-by-one-person_768x432_60s_h264.mp4"]


def frames(path: Path, step: int) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        decoded = enumerate(container.decode(video=0))
        return [f.to_ndarray(format="bgr24") for i, f in decoded if i % step == 0]


def iou(a: Detection, b: Detection) -> float:
    x1, y1, x2, y2 = max(a.x1, b.x1), max(a.y1, b.y1), min(a.x2, b.x2), min(a.y2, b.y2)
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter
    return inter / union if union > 0 else 0.0


def fps(detector: Detector, pictures: list[np.ndarray]) -> float:
    detector.detect(pictures[0], 0.5)  # warm up
    started = time.perf_counter()
    for picture in pictures:
        detector.detect(picture, 0.5)
    return len(pictures) / (time.perf_counter() - started)


def run(args: argparse.Namespace) -> dict[str, object]:
    clips = [find_asset(name) for name in CLIPS]
    calibration = [find_asset(name) for name in CALIBRATION]
    if None in clips or None in calibration:
        raise SystemExit("shared footage not found (../shared/assets or $WAWAI_ASSETS)")
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "config").mkdir()
        (root / "config" / "wawai.yaml").write_text(f"detector: {{model_dirs: ['{repo / 'models'}']}}\n")
        started = time.process_time()
        code = wawai(["--config", str(root / "config"), "model", "quantize", "yolox-nano", "--footage",
                      *(str(c) for c in calibration), "--frames", str(args.frames), "--output-dir", scratch])
        if code:
            raise SystemExit("quantize failed")
        quantize_cpu = time.process_time() - started
        fp32 = Detector(load_manifest("yolox-nano", [str(repo / "models")], repo), threads=args.threads)
        int8 = Detector(load_manifest("yolox-nano-int8", [scratch], repo), threads=args.threads)
        pictures = [p for clip in clips for p in frames(clip, args.step)]  # type: ignore[arg-type]
        wanted = found = extra = 0
        for picture in pictures:
            a = [d for d in fp32.detect(picture, 0.5) if d.label == "person"]
            b = [d for d in int8.detect(picture, 0.5) if d.label == "person"]
            wanted += len(a)
            found += sum(1 for d in a if any(iou(d, e) >= 0.5 for e in b))
            extra += sum(1 for e in b if not any(iou(d, e) >= 0.5 for d in a))
        sample = pictures[:: max(1, len(pictures) // 150)]
        fp32_fps, int8_fps = fps(fp32, sample), fps(int8, sample)
    return {
        "bench": "quantize", "model": "yolox-nano", "threads": args.threads, "frames_compared": len(pictures),
        "calibration_frames": args.frames, "quantize_cpu_s": round(quantize_cpu, 1),
        "baseline": "fp32 onnxruntime", "fp32_fps": round(fp32_fps, 1), "int8_fps": round(int8_fps, 1),
        "int8_over_fp32": round(int8_fps / fp32_fps, 3),
        "fp32_people": wanted, "int8_agrees": found, "agreement": round(found / max(1, wanted), 4),
        "int8_extra": extra,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--step", type=int, default=4)
    print(json.dumps(run(parser.parse_args())))
