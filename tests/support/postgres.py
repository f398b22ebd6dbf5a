"""A throwaway PostgreSQL server for tests (Debian's postgresql binaries), or a skip when there is none."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.app_fixtures import free_port


def postgres_bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a private server on a free loopback port; yields a SQLAlchemy URL."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    psycopg = pytest.importorskip("psycopg")  # the postgres extra

    base = Path(tempfile.mkdtemp(prefix="wawai-pg-"))
    run_as: list[str] = []
    if os.getuid() == 0:  # postgres refuses to run as root
        run_as = ["runuser", "-u", "nobody", "--"]
        os.chown(base, 65534, 65534)
    port = free_port()
    server = None
    try:
        subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(base / "data"), "-U", "wawai",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        server = subprocess.Popen(
            [*run_as, str(bin_dir / "postgres"), "-D", str(base / "data"), "-k", str(base), "-p", str(port),
             "-h", "127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={port} user=wawai dbname=postgres").close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield f"postgresql+psycopg://wawai@127.0.0.1:{port}/postgres"
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)
