"""Schemathesis over every route of the OpenAPI document, signed in as each role: never a 500.

The document is built in-process with FastAPI's ``app.openapi()`` (the app does not publish one
itself). Bounded examples per route and derandomized, so the gate is the same on every run.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = int(os.environ.get("WAWAI_FUZZ_EXAMPLES", "15"))  # per route and role


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
ROLES = ("operator", "supervisor", "admin")


def test_no_route_answers_500_to_any_role(app, live_server, users):
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10  # every route of the app, not an empty document
    failures: list[str] = []
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case) -> None:
            for role in ROLES:
                headers = {"Authorization": f"Bearer {users[role].token}"}
                response = case.call(base_url=live_server.url, headers=headers, timeout=60)
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(f"{role}: {case.method} {case.formatted_path} -> "
                                    f"{response.status_code} {response.text[:200]}")

        check()
    assert failures == []
