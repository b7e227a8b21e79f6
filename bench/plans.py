"""Query plans for the benchmarks: does a statement read its index by range, or scan?"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def explain(session: Any, query: Any, *, table: str, index: str,
            analyze: Sequence[str] = ()) -> dict[str, Any]:
    """`query`'s plan on the session's database (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's
    EXPLAIN after ANALYZE of `analyze`), whether it names `index`, and as errors any scan of
    `table` or a plan without the index."""
    from sqlalchemy import text

    dialect = session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        for name in analyze:
            session.execute(text(f"ANALYZE {name}"))
        plan = [r[0] for r in session.execute(text("EXPLAIN " + sql))]
        scans = [line for line in plan if f"Seq Scan on {table}" in line]
    else:
        plan = [r[3] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        scans = [line for line in plan if line.startswith(f"SCAN {table}") and "INDEX" not in line]
    uses = any(index in line for line in plan)
    return {"dialect": dialect.name, "plan": plan, "uses_index": uses,
            "errors": ([] if uses else [f"the statement does not use {index}"])
            + [f"the statement scans {table}: {line}" for line in scans]}
