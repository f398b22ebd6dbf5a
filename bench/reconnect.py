"""Reconnect time after an RTSP server restart: Wawai's hub against a bare PyAV retry loop.

    .venv/bin/python bench/reconnect.py [--restarts 40] [--down 0,0.5,1,2,4] [--mount gop1]

Starts the test RTSP server (gst-rtsp-server, tests/support) and, in this process, one Wawai hub with
one camera on it. Then, ``--restarts`` times: SIGKILL the server, wait until the hub reports the camera
offline, keep the server down for the next of the ``--down`` seconds (round robin, so short outages
and ones that reach later backoff steps are both measured), start it again, and time from the server's
READY to the hub's first packet (the camera ONLINE again).

Baseline (``pyav_retry``): after the same restart, a bare loop that calls ``av.open`` every 50 ms until
it demuxes a packet, i.e. the best a client can do without a listener to tell it the server is back.
Both are measured on each restart, the baseline right after Wawai's (the server stays up in between).

Prints one JSON line: p50, p95 and max of each, their ratio, and how many reconnects took more than
one attempt (``slow_attempts``: an RTSP attempt failed after the listener came back).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import av  # noqa: E402

from camera_ingest import create_hub  # noqa: E402
from tests.ingest.helpers import make_config  # noqa: E402
from tests.support.rtsp_fixtures import RtspServer, build_media  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402
from wawai.bus import EventBus  # noqa: E402
from wawai.status import CameraState  # noqa: E402

BASELINE_POLL = 0.05
GIVE_UP = 60.0  # a reconnect slower than this counts as this (and shows in max)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return round(ordered[index], 3)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": round(max(values), 3),
        "mean": round(statistics.fmean(values), 3),
    }


def pyav_first_packet(url: str, give_up: float) -> float:
    """Seconds until a fresh ``av.open`` demuxes a packet, retrying every BASELINE_POLL."""
    started = time.monotonic()
    options = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32768"}
    while time.monotonic() - started < give_up:
        try:
            with av.open(url, "r", options=options, timeout=(5.0, 5.0)) as container:
                for packet in container.demux(container.streams.video[0]):
                    if packet.size:
                        return time.monotonic() - started
        except av.error.FFmpegError:
            pass
        time.sleep(BASELINE_POLL)
    return give_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=40)
    parser.add_argument("--down", default="0,0.5,1,2,4", help="seconds the server stays down, round robin")
    parser.add_argument("--mount", default="gop1")
    parser.add_argument("--stall", type=float, default=2.0, help="the camera's stall_seconds")
    parser.add_argument("--verbose", action="store_true", help="one line per restart on stderr")
    args = parser.parse_args()
    downs = [float(d) for d in args.down.split(",")]
    logging.basicConfig(level=logging.ERROR)

    tmp = Path(tempfile.mkdtemp(prefix="wawai-bench-reconnect-"))
    media = build_media()
    server = RtspServer({args.mount: media[args.mount]}, tmp / "rtsp.log")
    server.start()
    url = server.url(args.mount)
    hub = create_hub(make_config(tmp, cam={"main": url, "stall_seconds": args.stall}), EventBus())
    hub.start()
    wawai: list[float] = []
    baseline: list[float] = []
    slow_attempts = 0

    def online() -> bool:
        return hub.status("cam").state == CameraState.ONLINE

    try:
        if not wait_until(online, 15.0):
            raise SystemExit("camera did not come online before the first restart")
        for i in range(args.restarts):
            session = hub._streams["cam"]["main"]
            server.kill()
            if not wait_until(lambda: not online(), args.stall + 5):
                raise SystemExit("camera did not go offline after the kill")
            time.sleep(downs[i % len(downs)])
            server.start()
            ready = time.monotonic()
            before = session.stats().reconnects
            wait_until(online, GIVE_UP, interval=0.01)
            wawai.append(time.monotonic() - ready)
            if session.stats().reconnects - before > 1:
                slow_attempts += 1
            if args.verbose:
                stats = session.stats()
                print(f"restart {i}: down {downs[i % len(downs)]} s, back in {wawai[-1]:.3f} s, "
                      f"attempts {stats.reconnects - before}, last error {stats.last_error}", file=sys.stderr)
            server.kill()
            server.start()
            baseline.append(pyav_first_packet(url, GIVE_UP))
            wait_until(online, GIVE_UP, interval=0.05)  # the hub reconnects too before the next round
    finally:
        hub.stop()
        server.stop()

    w, b = summary(wawai), summary(baseline)
    print(
        json.dumps(
            {
                "bench": "reconnect",
                "restarts": args.restarts,
                "down_seconds": downs,
                "mount": args.mount,
                "wawai_reconnect_s": w,
                "baseline_pyav_retry_s": b,
                "ratio_p50": round(w["p50"] / b["p50"], 2) if b["p50"] else None,
                "ratio_p95": round(w["p95"] / b["p95"], 2) if b["p95"] else None,
                "slow_attempts": slow_attempts,
            }
        )
    )


if __name__ == "__main__":
    main()
