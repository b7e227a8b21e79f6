"""The database: one SQLAlchemy engine per app, one session per request or job."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# SQLite waits this long for a competing writer (gunicorn workers, the consumer) instead of
# failing at once with "database is locked": jobs and commands, which nobody waits on.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A web request waits much less: Shopify abandons a delivery after 5 s, and every web
# thread stuck on the lock is one fewer to answer. Past this, the request answers 503
# (Retry-After) and the sender retries later.
SQLITE_WEB_BUSY_TIMEOUT_MS = 2_000

# Where a session keeps the actions to run once its transaction commits (see after_commit).
_AFTER_COMMIT = "storechat.after_commit"


def utcnow() -> datetime:
    """Now, as a naive UTC datetime: every timestamp in the database is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """An engine tuned for the URL: WAL and a busy timeout on SQLite, pre-ping on PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _sqlite_busy_timeout)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_busy_timeout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    # Chosen per checkout: one pool serves web requests and inline or threaded jobs alike.
    # Set only when it changes: a web process checks out for requests alone, and this runs
    # on every delivery's hot path.
    wait_ms = SQLITE_WEB_BUSY_TIMEOUT_MS if has_request_context() else SQLITE_BUSY_TIMEOUT_MS
    if record.info.get("busy_timeout_ms") != wait_ms:
        dbapi_connection.execute(f"PRAGMA busy_timeout={wait_ms}")
        record.info["busy_timeout_ms"] = wait_ms


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory and close sessions after each request."""
    engine = make_engine(app.config["STORECHAT"].database_url)
    app.extensions["storechat.engine"] = engine
    sessions = sessionmaker(engine, expire_on_commit=False)
    event.listen(sessions, "after_commit", _run_after_commit)
    event.listen(sessions, "after_rollback", _drop_after_commit)
    app.extensions["storechat.sessions"] = sessions
    app.teardown_appcontext(_close_session)


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run `action` once `session`'s current transaction commits; drop it on a rollback."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, ()):
        action()


def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["storechat.engine"]


def session() -> Session:
    """The session of the current request or job, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["storechat.sessions"]()
    return g.db_session


@contextmanager
def transaction() -> Iterator[Session]:
    """A fresh session in one transaction: committed on success, rolled back on error."""
    with current_app.extensions["storechat.sessions"]() as fresh:
        with fresh.begin():
            yield fresh


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
