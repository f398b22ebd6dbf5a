"""Accounts, sessions, login limiting and audit at the database level: the same code on SQLite and on
PostgreSQL, through the URL."""

from __future__ import annotations

from wawai import accounts
from wawai.audit import record
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade


def test_accounts_sessions_and_login_limits(any_db_url):
    upgrade(any_db_url)
    sessions = make_sessionmaker(any_db_url)
    try:
        with sessions() as db:
            user = accounts.create_user(db, "db-admin", "a long enough password", "admin", ["north"])
            token = accounts.create_token(db, user, "tests")
            new = accounts.create_web_session(db, user, hours=1)
            for _ in range(3):
                accounts.record_login(db, "db-admin", "10.0.0.9", success=False)
            record(db, "db-admin", "auth.login", camera_id=None, address="10.0.0.9")
            db.commit()
        with sessions() as db:
            found = accounts.user_for_token(db, token)
            assert found is not None and found.groups == ["north"]
            row = accounts.web_session_for(db, new.cookie)
            assert row is not None and row.user.name == "db-admin"
            assert accounts.authenticate(db, "db-admin", "a long enough password") is not None
            assert accounts.authenticate(db, "db-admin", "a wrong password!") is None
            limits = {"window_seconds": 900, "max_per_user": 3, "max_per_address": 10}
            assert accounts.login_blocked_for(db, "db-admin", "10.0.0.9", **limits) > 0
            # Per user and address: the guesses from 10.0.0.9 do not lock the user out elsewhere.
            assert accounts.login_blocked_for(db, "db-admin", "10.0.0.1", **limits) == 0
            assert accounts.login_blocked_for(db, "other", "10.0.0.9", **limits) == 0
    finally:
        sessions.kw["bind"].dispose()
