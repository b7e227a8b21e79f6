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


def _downgrade_below(revision: str) -> None:
    """Alembic downgrade to the revision before `revision` (whatever the chain is then)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = migrate._config()
    before = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    with db.engine().begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, str(before))


def test_0015_gives_bare_digit_widget_agents_their_plus_back(tmp_path: Path) -> None:
    """Earlier versions kept agents as E.164 without the plus and read them against the
    store's country; 0015 stores them in E.164, and keeps sessions and store owners."""
    import json

    from sqlalchemy import text

    app = make_app(tmp_path / "instance", migrate_db=False)
    agents = [{"name": "Lucía", "role": "", "phone": "34612345678"},  # Spanish, PT store
              {"name": "Ana", "role": "", "phone": "351912345678"},
              {"name": "Typed", "role": "", "phone": "912 345 678"},  # not bare digits
              {"name": "Junk", "role": "", "phone": "12"}, "not an agent"]
    with app.app_context():
        migrate.upgrade("0012")
        with db.engine().begin() as connection:
            connection.execute(text(
                "INSERT INTO owners (email, password_hash, created_at) "
                "VALUES ('a@example.com', 'h', '2026-01-01')"))
            connection.execute(text(
                "INSERT INTO web_sessions (token_hash, owner_id, data, created_at, expires_at) "
                "VALUES ('t', 1, '{}', '2026-01-01', '2030-01-01')"))
            connection.execute(text(
                "INSERT INTO stores (platform, domain, key, name, status, owner_id, country, "
                "created_at) VALUES ('woocommerce', 'd', 'k', 'n', 'active', 1, 'PT', "
                "'2026-01-01')"))
            connection.execute(text(
                "INSERT INTO widget_settings (store_id, enabled, settings, updated_at) "
                "VALUES (1, 1, :settings, '2026-01-01')"),
                {"settings": json.dumps({"agents": agents, "color": "#123456"})})

        def stored() -> tuple[object, int, object]:
            with db.engine().connect() as connection:
                settings = json.loads(connection.execute(
                    text("SELECT settings FROM widget_settings")).scalar_one())
                sessions = connection.execute(text("SELECT count(*) FROM web_sessions")).scalar()
                owner = connection.execute(text("SELECT owner_id FROM stores")).scalar()
            return settings, int(sessions or 0), owner

        migrate.upgrade()
        settings, sessions, owner = stored()
        assert [a["phone"] if isinstance(a, dict) else a for a in settings["agents"]] == [
            "+34612345678", "+351912345678", "912 345 678", "12", "not an agent"]
        assert settings["color"] == "#123456"
        assert (sessions, owner) == (1, 1)

        _downgrade_below("0015")
        settings, sessions, owner = stored()
        assert settings["agents"] == agents
        assert (sessions, owner) == (1, 1)


def test_0016_adds_the_template_sample_columns_and_takes_them_away(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine()).get_columns("templates")}
        assert {"header_sample", "header_sample_type"} <= columns
        _downgrade_below("0016")
        columns = {c["name"] for c in inspect(db.engine()).get_columns("templates")}
        assert not {"header_sample", "header_sample_type"} & columns
        assert "draft" in columns  # the rest of the table is untouched
