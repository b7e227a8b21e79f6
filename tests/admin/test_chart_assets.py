"""The chart assets: the vendored Chart.js is the pinned version with its licence beside it,
neither it nor our charts module evaluates strings as code (the admin's CSP has no
'unsafe-eval'), and both are served from the app's own static files."""
from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

STATIC = Path(__file__).resolve().parents[2] / "plugin" / "static"
VENDORED = STATIC / "vendor" / "chart.js-4.6.1"


def test_the_vendored_library_is_the_pinned_version_with_its_licence() -> None:
    script = (VENDORED / "chart.umd.min.js").read_text()
    assert script.startswith("/*!\n * Chart.js v4.6.1\n")
    assert "Released under the MIT License" in script[:300]
    licence = (VENDORED / "LICENSE.md").read_text()
    assert "The MIT License" in licence and "Chart.js Contributors" in licence


def test_nothing_evaluates_strings_or_injects_styles() -> None:
    for path in (VENDORED / "chart.umd.min.js", STATIC / "charts.js"):
        code = path.read_text()
        assert re.search(r"\beval\(|new Function\(", code) is None, path.name
        assert 'createElement("style")' not in code and "insertRule" not in code, path.name


def test_both_are_served_as_javascript(client: FlaskClient) -> None:
    for url in ("/static/vendor/chart.js-4.6.1/chart.umd.min.js", "/static/charts.js"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/javascript", url
        response.close()
