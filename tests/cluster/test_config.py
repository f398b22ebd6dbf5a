"""The cluster section of wawai.yaml: defaults, checks, and PostgreSQL required (SQLite refused)."""

from __future__ import annotations

import textwrap

from tests.support.app_fixtures import write_config
from wawai.config.loader import check_config, load_config

PG = 'database: {url: "postgresql+psycopg://wawai@db.example/wawai"}\n'


def site_errors(tmp_path, site: str) -> list[str]:
    directory = write_config(tmp_path, cameras={}, site=textwrap.dedent(site))
    return [str(error) for error in check_config(directory)]


def test_without_a_cluster_section_nothing_changes(tmp_path):
    config = load_config(write_config(tmp_path, cameras={}, site=""))
    assert config.site.cluster is None
    assert config.database_url.startswith("sqlite:///")


def test_a_cluster_node_on_postgresql(tmp_path):
    directory = write_config(tmp_path, cameras={}, site=PG + textwrap.dedent("""\
        cluster:
          node: rec-1
          nats_url: nats://10.0.0.5:4222
          roles: [record]
          advertise_url: http://10.0.0.11:8080
          capacity: 40
        """))
    cluster = load_config(directory).site.cluster
    assert cluster is not None
    assert (cluster.node, cluster.roles, cluster.capacity) == ("rec-1", ["record"], 40)
    assert cluster.lease_seconds == 15


def test_every_key_has_a_default(tmp_path):
    cluster = load_config(write_config(tmp_path, cameras={}, site=PG + "cluster: {}\n")).site.cluster
    assert cluster is not None
    assert cluster.roles == ["record", "web"] and cluster.nats_url == "nats://127.0.0.1:4222"


def test_sqlite_is_refused_in_one_line_naming_the_key(tmp_path):
    errors = site_errors(tmp_path, """\
        site: {name: Metro}
        database: {url: "sqlite:///data/wawai.db"}
        cluster: {node: rec-1}
        """)
    assert len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].endswith(":2: database.url: a cluster needs PostgreSQL (database.url: "
                              "postgresql+psycopg://USER@HOST/DB); SQLite serves a single node only, "
                              "without the cluster section")


def test_the_default_database_is_sqlite_and_refused_too(tmp_path):
    errors = site_errors(tmp_path, "cluster: {node: rec-1}\n")
    assert len(errors) == 1 and ":1: database.url: a cluster needs PostgreSQL" in errors[0]


def test_bad_values_are_named(tmp_path):
    errors = site_errors(tmp_path, PG + textwrap.dedent("""\
        cluster:
          node: Rec_1
          nats_url: "http://user:secret@10.0.0.5:4222"
          roles: []
          advertise_url: "ftp://x"
          capacity: -1
          gossip: true
        """))
    assert [error.split(": ", 2)[1] for error in errors] == [
        "cluster.node", "cluster.nats_url", "cluster.roles", "cluster.advertise_url", "cluster.capacity",
        "cluster.gossip",
    ]
    assert all("secret" not in error for error in errors)  # a URL's password is never repeated
    assert "must match [a-z0-9-]+" in errors[0]


def test_a_role_that_does_not_exist(tmp_path):
    errors = site_errors(tmp_path, PG + "cluster: {roles: [record, archive]}\n")
    assert len(errors) == 1 and "cluster.roles.1" in errors[0]


def test_a_short_cluster_secret_is_refused_without_showing_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WAWAI_TEST_SHORT_SECRET", "tooshort-XYZZY")
    errors = site_errors(tmp_path, PG + 'cluster: {secret: "${WAWAI_TEST_SHORT_SECRET}"}\n')
    assert len(errors) == 1 and "cluster.secret: String should have at least 32 characters" in errors[0]
    assert "XYZZY" not in errors[0]


def test_secret_and_shared_storage_defaults(tmp_path):
    cluster = load_config(write_config(tmp_path, cameras={}, site=PG + "cluster: {}\n")).site.cluster
    assert cluster is not None
    assert cluster.secret is None and cluster.shared_storage is False
    assert "secret" not in repr(cluster)
