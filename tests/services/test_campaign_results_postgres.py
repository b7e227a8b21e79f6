"""A campaign's results on PostgreSQL: the same queries (counts over the message columns,
the order window by placed time, the revenue rollups' sums) agree with the Analytics
figures there as they do on SQLite."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import make_app
from tests.pipeline import test_campaign_results as scenarios


@pytest.mark.services
@pytest.mark.parametrize("scenario", [
    scenarios.test_clicked_replied_and_opted_out_are_the_analytics_figures,
    scenarios.test_last_touch_revenue_is_the_analytics_figure_of_the_campaign,
], ids=["reactions", "revenue"])
def test_campaign_results_agree_with_analytics_on_postgresql(
        tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch,
        scenario: Callable[[Flask, pytest.MonkeyPatch], None]) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        scenario(app, monkeypatch)
    finally:
        app.extensions["storechat.engine"].dispose()
