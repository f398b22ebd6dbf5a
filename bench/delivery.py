"""Outbox delivery bench: N events (default 10,000) to two local webhook receivers.

Wawai: each event committed in its own transaction through wawai.outbox.enqueue while the relay runs
(two subscriptions, one worker each); per event, commit-to-receipt latency. Baseline, same run: raw
httpx POSTs of the same signed bodies to the same receivers, one thread per receiver, no outbox and no
database (latency: send-start to receipt). Receivers run in a child process (HTTP/1.1 keep-alive) and
log each id with its receipt time. Prints one JSON line.

    .venv/bin/python -m bench.delivery [--events 10000] [--paced-events 300 --rate 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.support.app_fixtures import free_port
from wawai.config.schema import IntegrationsSection, WebhookSubscription
from wawai.db.base import make_sessionmaker, utcnow
from wawai.db.migrate import upgrade
from wawai.db.outbox import OutboxDelivery, OutboxEvent
from wawai.integrations.channel import RetryPolicy
from wawai.integrations.relay import Relay, RelaySettings, event_body
from wawai.integrations.webhooks import WebhookChannel, signature_header
from wawai.outbox import enqueue

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def receiver_main(ports: list[int], out_dir: str) -> None:
    """Child process: one HTTP server per port; on stdin EOF writes <port>.json ({id: receipt time})."""
    seen: dict[int, dict[str, float]] = {port: {} for port in ports}

    def handler_for(port: int) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                seen[port].setdefault(self.headers.get("webhook-id", ""), time.time())
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

        return Handler

    for port in ports:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(port))
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    for port in ports:
        Path(out_dir, f"{port}.json").write_text(json.dumps(seen[port]))


class Receivers:
    def __init__(self, work: Path) -> None:
        self.ports = [free_port(), free_port()]
        self.work = work
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from bench.delivery import receiver_main; "
             f"receiver_main({self.ports!r}, {str(work)!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/hook" for port in self.ports]

    def finish(self) -> list[dict[str, float]]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return [json.loads((self.work / f"{port}.json").read_text()) for port in self.ports]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def pace(started: float, number: int, rate: float | None) -> None:
    """With a rate, wait until event ``number`` is due (a steady producer instead of a burst)."""
    if rate:
        delay = started + number / rate - time.time()
        if delay > 0:
            time.sleep(delay)


def run_outbox(events: int, work: Path, rate: float | None = None) -> dict[str, float]:
    work.mkdir()
    receivers = Receivers(work)
    url = f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    sessions = make_sessionmaker(url)
    section = IntegrationsSection()
    retry = RetryPolicy(tuple(section.retry_schedule))
    channels = [WebhookChannel(WebhookSubscription(name=f"r{i}", url=u, secret=SECRET), retry)
                for i, u in enumerate(receivers.urls())]
    relay = Relay(list(channels), sessions, RelaySettings(poll_seconds=0.5))
    relay.start()
    committed: dict[str, float] = {}
    started = time.time()
    for number in range(events):
        pace(started, number, rate)
        with sessions() as session:
            row = enqueue(session, "incident.created", {"incident": {"id": number, "severity": "high"},
                                                         "camera": {"id": "cam", "group": None}, "links": {}},
                          key=f"incident:{number % 50}")
            session.commit()
            committed[row.event_id] = time.time()
    produced = time.time()
    # Wait for both receivers: the relay's state says when every delivery is done.
    while True:
        with sessions() as db:
            done = db.scalar(select(func.count()).where(OutboxDelivery.state == "delivered")) or 0
        if done >= 2 * events:
            break
        time.sleep(0.2)
    relay.stop()
    received = receivers.finish()
    last = max(max(r.values()) for r in received)
    latencies = [r[event_id] - at for r in received for event_id, at in committed.items()]
    return {"events_per_s": events / (last - started), "produce_per_s": events / (produced - started),
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000}


def run_baseline(events: int, work: Path, rate: float | None = None) -> dict[str, float]:
    """Raw httpx POSTs of equal signed bodies, one thread per receiver, no outbox."""
    work.mkdir()
    receivers = Receivers(work)
    url = f"sqlite:///{work / 'bodies.db'}"
    upgrade(url)
    sent_at: dict[str, float] = {}
    bodies: list[tuple[str, bytes]] = []
    for number in range(events):
        row = OutboxEvent(event_id=f"evt_{number:032x}", type="incident.created",
                          key=f"incident:{number % 50}",
                          data_json=json.dumps({"incident": {"id": number, "severity": "high"},
                                                "camera": {"id": "cam", "group": None}, "links": {}}),
                          created_at=utcnow())
        bodies.append((row.event_id, event_body(row, None)[0]))
    lock = threading.Lock()

    def post_all(target: str) -> None:
        with httpx.Client(timeout=10, follow_redirects=False, trust_env=False) as client:
            for number, (event_id, body) in enumerate(bodies):
                pace(started, number, rate)
                now = time.time()
                with lock:
                    sent_at.setdefault(event_id, now)
                ts = int(now)
                client.post(target, content=body, headers={
                    "content-type": "application/json", "webhook-id": event_id, "webhook-timestamp": str(ts),
                    "webhook-signature": signature_header([SECRET], event_id, ts, body)})

    started = time.time()
    threads = [threading.Thread(target=post_all, args=(u,)) for u in receivers.urls()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = receivers.finish()
    last = max(max(r.values()) for r in received)
    latencies = [r[event_id] - at for r in received for event_id, at in sent_at.items()]
    return {"events_per_s": events / (last - started),
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000, help="the burst: committed as fast as possible")
    parser.add_argument("--paced-events", type=int, default=300, help="the latency run, at --rate")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second in the latency run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wawai-bench-delivery-") as tmp:
        work = Path(tmp)
        baseline = run_baseline(args.events, work / "baseline")
        outbox = run_outbox(args.events, work / "outbox")
        paced_baseline = run_baseline(args.paced_events, work / "paced-baseline", args.rate)
        paced = run_outbox(args.paced_events, work / "paced-outbox", args.rate)
    print(json.dumps({
        "bench": "delivery", "events": args.events, "receivers": 2,
        "outbox_events_per_s": round(outbox["events_per_s"], 1),
        "outbox_produce_per_s": round(outbox["produce_per_s"], 1),
        "outbox_latency_p50_ms": round(outbox["p50_ms"], 1),
        "outbox_latency_p95_ms": round(outbox["p95_ms"], 1),
        "baseline": "raw httpx POSTs, same bodies and receivers, no outbox",
        "baseline_events_per_s": round(baseline["events_per_s"], 1),
        "baseline_latency_p50_ms": round(baseline["p50_ms"], 1),
        "baseline_latency_p95_ms": round(baseline["p95_ms"], 1),
        "ratio_events_per_s": round(outbox["events_per_s"] / baseline["events_per_s"], 3),
        # The burst's latency is mostly queueing; commit-to-receipt at a steady rate below capacity:
        "paced_events": args.paced_events, "paced_rate_per_s": args.rate,
        "paced_outbox_latency_p50_ms": round(paced["p50_ms"], 1),
        "paced_outbox_latency_p95_ms": round(paced["p95_ms"], 1),
        "paced_baseline_latency_p50_ms": round(paced_baseline["p50_ms"], 1),
        "paced_baseline_latency_p95_ms": round(paced_baseline["p95_ms"], 1),
        "ratio_paced_latency_p50": round(paced["p50_ms"] / max(paced_baseline["p50_ms"], 1e-6), 2),
    }))


if __name__ == "__main__":
    main()
