"""Shared fixtures live in tests/support/, one module per real part they start."""

pytest_plugins = [
    "tests.support.rtsp_fixtures",
    "tests.support.app_fixtures",
    "tests.support.browser_fixtures",
    "tests.support.postgres",
    "tests.support.nats_server",
]
