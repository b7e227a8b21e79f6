"""Migrations: an empty database upgrades to the models' schema; again is a no-op."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from plugin.infra import db, migrate
from plugin.models import Base
from tests.conftest import make_app


def test_upgrade_creates_every_table_and_is_idempotent(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", migrate_db=False)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "upgraded from empty" in first.output
    second = runner.invoke(args=["db", "upgrade"])
    assert second.exit_code == 0
    assert "up to date" in second.output
    with app.app_context():
        tables = set(inspect(db.engine()).get_table_names())
        assert migrate.is_current()
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_models(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    with app.app_context(), db.engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", migrate_db=False)
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code != 0
    assert "storechat db upgrade" in result.output
