"""Three `storechat worker` processes share one PostgreSQL and one Redis: every order message
is sent exactly once, even when their sweepers put rows that are still queued on the queue
again."""
from __future__ import annotations

import time
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

EVENTS = 5000
WORKERS = 3


@pytest.mark.services
def test_three_workers_send_each_message_exactly_once(tmp_path: Path, pg_database: str,
                                                      redis_db: str) -> None:
    instance = tmp_path / "instance"
    with services_app(instance, pg_database, redis_db) as app, fake_graph() as (graph, url):
        store_id, store_key = connect_store(app)
        fed = time.monotonic()
        feed_orders(app, store_id, store_key, EVENTS, threads=4)
        feed_seconds = time.monotonic() - fed
        # A sweep grace shorter than the run: the sweepers re-enqueue rows whose jobs are
        # still waiting, so several jobs race for the same row and the claims must decide.
        env = storechat_environ(
            instance,
            STORECHAT_DATABASE_URL=pg_database,
            STORECHAT_REDIS_URL=redis_db,
            WHATSAPP_GRAPH_URL=url,
            STORECHAT_SWEEP_GRACE_SECONDS="10",
            STORECHAT_SWEEP_INTERVAL_SECONDS="1",
        )
        started = time.monotonic()
        workers = [Worker(f"worker-{n}", env, tmp_path) for n in range(1, WORKERS + 1)]
        try:
            wait_until(all_done(app, EVENTS), 180,
                       f"{WORKERS} workers to process {EVENTS} events and send their messages",
                       lambda: describe(workers, app, graph), interval=0.1, workers=workers)
            elapsed = time.monotonic() - started
            for worker in workers:  # no send is still on its way to the fake after this
                worker.stop()

            events, messages = state_counts(app)
            expected = message_callback_ids(app)
            received = Counter(graph.callback_ids())
            duplicated = sorted(i for i, count in received.items() if count > 1)
            requeued = sum(w.requeued() for w in workers)
            print(f"\nconcurrency: workers={WORKERS} events={EVENTS} messages={len(expected)} "
                  f"received={sum(received.values())} duplicated={len(duplicated)} "
                  f"sweeper re-enqueued={requeued}; fed in {feed_seconds:.1f} s "
                  f"({EVENTS / feed_seconds:.0f} events/s); processed and sent in "
                  f"{elapsed:.1f} s ({EVENTS / elapsed:.0f} events/s, worker start-up included)")
            assert events == {"processed": EVENTS}
            assert messages == {"sent": EVENTS}
            assert not duplicated, f"sent more than once: {duplicated[:20]}"
            assert set(received) == expected, (
                f"missing {sorted(expected - set(received))[:10]}, "
                f"unexpected {sorted(set(received) - expected)[:10]}")
            for worker in workers:
                worker.assert_no_errors()
        finally:
            for worker in workers:
                worker.stop()
