"""Rate limits are shared by every process on one database and outlive a restart."""
from __future__ import annotations

import time
from itertools import cycle
from pathlib import Path

from flask import Flask
from limits import RateLimitItemPerMinute
from sqlalchemy import func, select

from plugin.demo import store as demo_store
from plugin.infra import db, ratelimit
from plugin.models import RateLimitCounter
from tests.conftest import create_owner, make_app, sign_in


def _two_apps(tmp_path: Path, **overrides: object) -> tuple[Flask, Flask]:
    """Two app instances on one SQLite file, as two gunicorn workers are."""
    instance = tmp_path / "instance"
    first = make_app(instance, **overrides)
    return first, make_app(instance, migrate_db=False, **overrides)


def _hit(app: Flask, item: RateLimitItemPerMinute, *key: str) -> bool:
    with app.app_context():
        return bool(ratelimit.limiter().hit(item, *key))


def test_two_processes_together_allow_exactly_the_limit(tmp_path: Path) -> None:
    apps = _two_apps(tmp_path)
    item = RateLimitItemPerMinute(10)
    allowed = [_hit(app, item, "test", "k") for app, _ in zip(cycle(apps), range(20))]
    assert allowed == [True] * 10 + [False] * 10
    restarted = make_app(tmp_path / "instance", migrate_db=False)
    assert not _hit(restarted, item, "test", "k")
    assert _hit(restarted, item, "test", "another key")


def test_failed_sign_ins_count_across_processes_and_restarts(tmp_path: Path) -> None:
    apps = _two_apps(tmp_path)
    create_owner(apps[0], "a@example.com")
    clients = [app.test_client() for app in apps]
    statuses = [sign_in(client, "a@example.com", f"wrong {i}").status_code
                for client, i in zip(cycle(clients), range(12))]
    assert statuses == [401] * 10 + [429] * 2
    restarted = make_app(tmp_path / "instance", migrate_db=False)
    assert sign_in(restarted.test_client(), "a@example.com").status_code == 429


def test_click_beacons_count_across_processes(tmp_path: Path) -> None:
    apps = _two_apps(tmp_path)
    with apps[0].app_context(), db.transaction() as session:
        key = demo_store.get_or_create(session).key
    clients = [app.test_client() for app in apps]
    statuses = [client.post(f"/widget/{key}/events", json={"t": "click", "p": "/"}).status_code
                for client, _ in zip(cycle(clients), range(32))]
    assert statuses == [204] * 30 + [429] * 2


def test_expired_counters_are_purged(app: Flask) -> None:
    with app.app_context():
        with db.transaction() as session:
            session.add(RateLimitCounter(key="old", count=3, expires_at=time.time() - 1))
        ratelimit.limiter().hit(RateLimitItemPerMinute(5), "test", "new")
        with db.transaction() as session:
            keys = session.scalars(select(RateLimitCounter.key)).all()
            assert "old" not in keys
            assert session.scalar(select(func.count()).select_from(RateLimitCounter)) == 1
