"""Fixtures shared across test files: a real PostgreSQL server, started once per session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from pg_server import PostgresServer, why_not

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Skipped, with the reason, only where no server can run (see tests/pg_server.py)."""
    reason = why_not()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests need a server: {reason}")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of its own for one test, dropped after it."""
    name = f"briefbot_test_{next(_databases)}"
    postgres_server.sql(f"CREATE DATABASE {name}")
    yield postgres_server.url(name)
    postgres_server.sql(f"DROP DATABASE {name} WITH (FORCE)")
