"""Rate limits on PostgreSQL alone (database counters) and with Redis: two app instances
together allow exactly the limit, and a new instance on the same stores still refuses."""
from __future__ import annotations

from itertools import cycle
from pathlib import Path

import pytest
from flask import Flask
from limits import RateLimitItemPerMinute

from plugin.infra import ratelimit
from tests.conftest import make_app


def _hit(app: Flask, item: RateLimitItemPerMinute) -> bool:
    with app.app_context():
        return bool(ratelimit.limiter().hit(item, "services-test", "k"))


@pytest.mark.services
@pytest.mark.parametrize("with_redis", [False, True], ids=["postgresql", "postgresql+redis"])
def test_limits_are_shared_by_processes_and_outlive_them(
        tmp_path: Path, pg_database: str, request: pytest.FixtureRequest,
        with_redis: bool) -> None:
    redis_url = request.getfixturevalue("redis_db") if with_redis else ""
    instance = tmp_path / "instance"
    apps = [make_app(instance, migrate_db=index == 0, database_url=pg_database,
                     redis_url=redis_url) for index in range(3)]
    try:
        item = RateLimitItemPerMinute(10)
        allowed = [_hit(app, item) for app, _ in zip(cycle(apps[:2]), range(20))]
        assert allowed == [True] * 10 + [False] * 10
        assert not _hit(apps[2], item)
    finally:
        for app in apps:
            app.extensions["storechat.engine"].dispose()
