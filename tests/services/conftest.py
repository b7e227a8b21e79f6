"""Services-lane fixtures: a PostgreSQL database and a Redis database of each test's own.

Other things on the machine (benchmarks, a developer's `storechat serve`) may use the
database and Redis db that STORECHAT_TEST_* name at the same time; a fresh database per test
keeps them from seeing, or wiping, each other's rows and queued jobs.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from tests.services.workers import reset_postgres

# Marks a Redis database as taken by a running services test (expires if the run dies).
REDIS_CLAIM_KEY = "storechat-services-lane"
REDIS_CLAIM_SECONDS = 600


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """The URL of an empty PostgreSQL database created for this test and dropped after it.

    Where the role may not create databases, the STORECHAT_TEST_DATABASE_URL database itself
    is emptied instead (DROP SCHEMA public CASCADE)."""
    name = f"storechat_services_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created = True
    except DBAPIError:
        created = False
    if not created:
        admin.dispose()
        reset_postgres(pg_url)
        yield pg_url
        return
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_db(redis_url: str) -> Iterator[str]:
    """The URL of an empty Redis database (1-15 on the same server) claimed for this test,
    flushed after it."""
    parts = urlsplit(redis_url)
    for index in range(15, 0, -1):
        url = urlunsplit(parts._replace(path=f"/{index}"))
        client = redis.Redis.from_url(url)
        try:
            claimed = client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, "1", nx=True,
                                                          ex=REDIS_CLAIM_SECONDS)
        finally:
            client.close()
        if claimed:
            break
    else:
        pytest.fail(f"no empty Redis database (1-15) on {parts.hostname}:{parts.port}")
    try:
        yield url
    finally:
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()
