"""The batch send engine on PostgreSQL + Redis: three engine processes on one campaign, two
of them SIGKILLed mid-run and replaced. Nothing is lost and nothing is sent twice.

A killed engine leaves sends Meta accepted but we never recorded (Meta's Cloud API takes no
idempotency key). The fake Graph reports every send's statuses to the app's webhook as Meta
does (signed, late, out of order, some twice); a `storechat worker` applies them, and a row
whose lease lapsed is held for the reconciliation grace, in which its `sent` status marks it
sent: only a row with no status after the grace (never sent) goes out again.
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import Message
from plugin.pipeline import outbox
from tests.conftest import ROOT
from tests.fakes.server import LoopbackServer
from tests.services.workers import Worker, storechat_environ, wait_until
from tests.worlds.sending import CAUSE, UPDATE, Sending, sending_world

MESSAGES = 3000
# Kill the first engine after a fifth of the sends, the second after half.
KILLS = ((0, MESSAGES // 5), (1, MESSAGES // 2))
APP_SECRET = "services-lane-app-secret"
# Short, for a test; the statuses arrive well inside it (up to STATUS_LATE late, then queued).
LEASE_SECONDS, GRACE_SECONDS = 3, 20
STATUS_LATE = (0.0, 1.5)


class EngineWorker(Worker):
    """A tests.services.engine_worker process (kill and stop as a `storechat worker`)."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, store_id: int) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.services.engine_worker", str(store_id), CAUSE],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)


def _seed(world: Sending, count: int) -> None:
    """`count` pending order-update messages of the campaign's cause, one per shopper."""
    with world.app.app_context(), db.transaction() as session:
        from adapters.whatsapp import messages as bodies

        outbox.write_many(session, [
            {"store_id": world.store_id, "customer_id": None, "cause": CAUSE,
             "step": f"to:{n}", "to": f"+35191{n:07d}", "template": UPDATE,
             "payload": bodies.template(f"35191{n:07d}", UPDATE, "en", body=["Ana"])}
            for n in range(count)])


def _states(world: Sending) -> dict[str, int]:
    with world.app.app_context():
        return dict(db.session().execute(
            select(Message.state, func.count()).group_by(Message.state)).all())


def _unrecorded(world: Sending) -> int:
    """Rows whose send only Meta's status recorded (reconciled: no transport noted... yet)."""
    with world.app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(Message).where(
            Message.transport.is_(None), Message.wamid.is_not(None))) or 0)


@pytest.mark.services
def test_engines_killed_mid_campaign_lose_and_duplicate_nothing(
        tmp_path: Path, pg_database: str, redis_db: str) -> None:
    with sending_world(tmp_path, database_url=pg_database, redis_url=redis_db,
                       queue_immediate=False, throughput=1000,
                       whatsapp_app_secret=APP_SECRET) as world, \
            LoopbackServer(world.app) as web:
        _seed(world, MESSAGES)
        env = storechat_environ(
            tmp_path / "instance", STORECHAT_DATABASE_URL=pg_database,
            STORECHAT_REDIS_URL=redis_db, WHATSAPP_GRAPH_URL=world.app.config[
                "STORECHAT"].whatsapp_graph_url, WHATSAPP_APP_SECRET=APP_SECRET,
            STORECHAT_LEASE_SECONDS=str(LEASE_SECONDS),
            STORECHAT_RECONCILE_GRACE_SECONDS=str(GRACE_SECONDS),
            STORECHAT_SWEEP_INTERVAL_SECONDS="2")
        poster = world.graph.post_statuses_to(f"{web.url}/webhooks/whatsapp", APP_SECRET,
                                              late=STATUS_LATE, twice=0.1)
        # Applies the status webhooks (and sweeps, as every worker does).
        events = Worker("events", env, tmp_path)
        workers = [EngineWorker(f"engine-{n}", env, tmp_path, world.store_id)
                   for n in range(3)]
        in_flight_at_kills = 0

        def explain() -> str:
            received = world.graph.callback_ids()
            return (f"messages by state {_states(world)}, fake received {len(received)} "
                    f"({len(set(received))} distinct), statuses posted {len(poster.posted)}\n"
                    + "\n".join(w.tail() for w in [events, *workers]))

        try:
            for index, after in KILLS:
                wait_until(lambda after=after: len(world.graph.sent) >= after, 120,  # type: ignore[misc]
                           f"the fake to receive {after} messages", explain, interval=0.002,
                           workers=[w for w in workers if w.running()])
                workers[index].kill()
                # Leased and not yet recorded: what the killed engine may have had in flight.
                in_flight_at_kills += _states(world).get("sending", 0)
                assert len(world.graph.sent) < MESSAGES, "all sent before a kill: no test"
                workers.append(EngineWorker(f"engine-{len(workers)}", env, tmp_path,
                                            world.store_id))
            # Every status applied: each message delivered, none left to reconcile.
            wait_until(lambda: poster.idle() and _states(world) == {"delivered": MESSAGES},
                       180, "every message sent and reported delivered", explain,
                       workers=[events, *(w for w in workers if w.running())])
        finally:
            for worker in [*workers, events]:
                worker.stop()
            poster.stop()
        with world.app.app_context():
            expected = {f"storechat:{i}" for i in db.session().scalars(select(Message.id))}
        received = Counter(world.graph.callback_ids())
        duplicates = sum(count - 1 for count in received.values())
        print(f"\nengine kill: messages={MESSAGES} received={sum(received.values())} "
              f"duplicates={duplicates} lost={len(expected - set(received))} "
              f"leased_at_kills={in_flight_at_kills} "
              f"recorded_by_status_only={_unrecorded(world)} "
              f"status_bodies={len(poster.answers)}")
        assert set(received) == expected  # nothing lost, nothing unknown
        assert duplicates == 0
        assert all(answer == 200 for answer in poster.answers)
        for worker in [*workers, events]:
            assert "Traceback" not in worker.tail(200), worker.tail(200)
