"""A worker killed mid-send loses nothing: after a restart every order message goes out, and
only the sends that were in flight at the kill can be duplicated (PostgreSQL + Redis)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.services.workers import (
    Worker,
    all_done,
    connect_store,
    describe,
    fake_graph,
    feed_orders,
    message_callback_ids,
    services_app,
    state_counts,
    storechat_environ,
    wait_until,
)

EVENTS = 1000
# Kill the worker once the fake has received this many messages (about a third of them).
KILL_AFTER_SENDS = 350


@pytest.mark.services
def test_sigkill_mid_send_loses_no_message(tmp_path: Path, pg_database: str,
                                           redis_db: str) -> None:
    instance = tmp_path / "instance"
    with services_app(instance, pg_database, redis_db) as app, fake_graph() as (graph, url):
        store_id, store_key = connect_store(app)
        feed_orders(app, store_id, store_key, EVENTS)
        # Short lease and sweep times, so that the restarted worker recovers within seconds.
        env = storechat_environ(
            instance,
            STORECHAT_DATABASE_URL=pg_database,
            STORECHAT_REDIS_URL=redis_db,
            WHATSAPP_GRAPH_URL=url,
            STORECHAT_LEASE_SECONDS="5",
            STORECHAT_SWEEP_GRACE_SECONDS="3",
            STORECHAT_SWEEP_INTERVAL_SECONDS="1",
            # No status webhooks here: a lapsed send has nothing to wait for.
            STORECHAT_RECONCILE_GRACE_SECONDS="1",
        )
        workers = [Worker("worker-1", env, tmp_path)]

        def explain() -> str:
            return describe(workers, app, graph)

        try:
            wait_until(lambda: len(graph.sent) >= KILL_AFTER_SENDS, 90,
                       f"the fake to receive {KILL_AFTER_SENDS} messages", explain,
                       interval=0.002, workers=workers)
            workers[0].kill()
            received_at_kill = len(graph.sent)
            in_flight = state_counts(app)[1].get("sending", 0)
            assert received_at_kill < EVENTS, (
                f"all {received_at_kill} sends were done before the kill: nothing was tested\n"
                + explain())

            workers.append(Worker("worker-2", env, tmp_path))
            wait_until(all_done(app, EVENTS), 120,
                       "every event processed and every message sent after the restart",
                       explain, workers=workers[1:])
            for worker in workers:  # no send is still on its way to the fake after this
                worker.stop()

            events, messages = state_counts(app)
            expected = message_callback_ids(app)
            received = graph.callback_ids()
            counts = Counter(received)
            duplicated = sorted(i for i, count in counts.items() if count > 1)
            duplicates = len(received) - len(counts)
            print(f"\ncrash: events={EVENTS} messages={len(expected)} received={len(received)} "
                  f"duplicates={duplicates} in_flight_at_kill={in_flight} "
                  f"(killed after {received_at_kill} sends; duplicated: {duplicated})")
            assert events == {"processed": EVENTS}
            assert messages == {"sent": EVENTS}
            assert len(expected) == EVENTS
            assert set(counts) == expected, (
                f"missing {sorted(expected - set(counts))[:10]}, "
                f"unexpected {sorted(set(counts) - expected)[:10]}")
            assert duplicates <= in_flight, (
                f"{duplicates} duplicate sends but only {in_flight} were in flight at the kill")
            workers[1].assert_no_errors()
        finally:
            for worker in workers:
                worker.stop()
