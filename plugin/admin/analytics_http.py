"""What the Analytics pages' routes share: the `?days=` period they are asked for, and a
table sent as a CSV download named after its period."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response, abort, request

from plugin.pipeline import message_figures

# The period shown when none is asked for.
DEFAULT_DAYS = 30


def days_arg() -> int:
    """The `days` query argument, one of the offered periods (400 otherwise)."""
    raw = request.args.get("days", str(DEFAULT_DAYS))
    if not raw.isdigit() or int(raw) not in message_figures.PERIODS:
        abort(400, description="Choose one of the periods offered: "
                               f"{', '.join(str(p) for p in message_figures.PERIODS)} days.")
    return int(raw)


def csv_response(name: str, period: message_figures.Period, columns: Sequence[str],
                 rows: Iterable[Sequence[str]]) -> Response:
    """The table as a CSV attachment named `<name>-<first day>-<last day>.csv`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    filename = f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
