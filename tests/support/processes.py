"""Child processes for tests and benches: their own CPU time, and a stop that always ends them."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process; 0 once it is gone."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat"))


def stat_cpu_seconds(stat: Path) -> float:
    """User plus system CPU from a ``stat`` file of /proc (a process's, or one thread's under task/)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def stop_processes(processes: Iterable[subprocess.Popen[bytes]], timeout: float,
                   sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal every process that still runs, then wait ``timeout`` s for each; kill what remains."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(sig)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
