"""Schemathesis over every route of the OpenAPI document, signed in as each role: never a 500, and every
success answer fits the document (its schema and its media type).

The document is built in-process with FastAPI's ``app.openapi()`` (the same one /api/openapi.json
serves). Bounded examples per route and derandomized, so the gate is the same on every run.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance


@schemathesis.serializer("application/sdp")
def sdp_text(ctx, value) -> bytes:
    """The WHEP offer is SDP text: send what the strategy made as text (garbage must answer 400)."""
    return value.encode() if isinstance(value, str) else str(value).encode()


EXAMPLES = int(os.environ.get("WAWAI_FUZZ_EXAMPLES", "15"))  # per route and role


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
ROLES = ("operator", "supervisor", "admin")
ANSWER_CHECKS = [response_schema_conformance, content_type_conformance]


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
                where = f"{role}: {case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(f"{where} {response.text[:200]}")
                elif 200 <= response.status_code < 300:
                    try:
                        case.validate_response(response, checks=ANSWER_CHECKS)
                    except (Failure, FailureGroup) as exc:  # one failed check, or a group of them
                        failures.append(f"{where} does not fit the document: {str(exc)[:300]}")

        check()
    assert failures == []
