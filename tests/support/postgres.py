"""A throwaway PostgreSQL server for tests (Debian's postgresql binaries), started once per session.

PostgreSQL is a required part of the test run (scripts/setup.sh installs it): a missing binary fails the
tests that need it with the fix named, it does not skip them. Each test gets an empty database of its own
on the session's server (``CREATE DATABASE`` takes milliseconds; a server start takes seconds).

Fixtures: ``postgres`` (the session's server), ``postgres_url`` (a fresh empty database per test), and
``any_db_url``: an empty database per test, on SQLite and on PostgreSQL (the test runs once per backend).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.support.app_fixtures import free_port

# The unprivileged account (nobody, nogroup) the server runs as when the tests run as root: postgres
# refuses to run as root.
NOBODY_UID = 65534
BACKENDS = ("sqlite", "postgresql")


def postgres_bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """One private server on a free loopback port, data in a temp folder, trust auth for user wawai."""

    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL binaries not found: run ./scripts/setup.sh "
                               "(or apt-get install postgresql)")
        self.bin_dir = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="wawai-pg-"))
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        # Run as nobody through Popen's user/group (not runuser, which would stand between the server
        # and our signals and turn a fast shutdown into a slow one).
        self._user: int | None = None
        if os.getuid() == 0:
            self._user = NOBODY_UID
            os.chown(self.base, NOBODY_UID, NOBODY_UID)

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (its backends are its children), while it runs."""
        return self._process.pid if self._process is not None else None

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=wawai dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://wawai@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        data = self.base / "data"
        subprocess.run([str(self.bin_dir / "initdb"), "-D", str(data), "-U", "wawai", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True, timeout=120, cwd=self.base,
                       user=self._user, group=self._user)
        # fsync off: a test database never has to survive a power cut, and it spares the shared disk.
        self._process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), "-k", str(self.base),
             "-p", str(self.port), "-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300",
             "-c", "full_page_writes=off", "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.base,
            user=self._user, group=self._user,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.admin_dsn()).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.2)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"wawai_test_{next(self._names)}"
        with psycopg.connect(self.admin_dsn(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # name is ours: wawai_test_<n>
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_dsn(), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)  # "fast" shutdown: does not wait for idle clients
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A private server of its own for the block (outside pytest: benchmarks); yields a SQLAlchemy URL."""
    server = PostgresServer()
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    server.start()
    yield server
    server.stop()


@contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)  # WITH (FORCE): a test's leftover pooled connection does not block it


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """An empty database on the session's PostgreSQL server, dropped after the test."""
    with fresh_database(postgres) as url:
        yield url


def database_url(request: pytest.FixtureRequest, backend: str, sqlite_path: Path) -> Iterator[str]:
    """An empty database on ``backend``: a SQLite file at ``sqlite_path`` or a PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with fresh_database(server) as url:
        yield url


def backend_of(request: pytest.FixtureRequest) -> str:
    """The backend a fixture was parametrized with (``on_both_databases``), SQLite when it was not."""
    return str(getattr(request, "param", "sqlite"))


def on_both_databases(fixture: str = "db_url") -> pytest.MarkDecorator:
    """Run the test once on SQLite and once on PostgreSQL, through the database fixture ``fixture``
    (``db_url``, ``recorder_db``, ``incident_db``), which reads the backend with ``backend_of``."""
    return pytest.mark.parametrize(fixture, BACKENDS, indirect=True)


@pytest.fixture(params=BACKENDS)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database; the test runs once on SQLite and once on PostgreSQL."""
    yield from database_url(request, request.param, tmp_path / "any-db" / "wawai.db")
