"""axe-core in the browser tests: inject the pinned axe.min.js into a page and list what it
finds that a person using a screen reader, a keyboard or low vision would be blocked by.

axe-core comes from npm, pinned in tests/browser/node/package-lock.json and installed by
`make test` (or `npm ci --prefix tests/browser/node`); CI installs it and requires it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.conftest import need

AXE_JS = Path(__file__).resolve().parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
# Impacts that fail a test; "minor" and "moderate" findings are left to review.
BLOCKING = ("serious", "critical")
# What the report quotes of each failing element.
SNIPPET_CHARS = 160


def axe_script() -> Path:
    """The installed axe.min.js; skips (fails with STORECHAT_REQUIRE_SERVICES=1) without it."""
    need(AXE_JS.exists(), "axe-core is not installed: run `make axe` "
                          "(npm ci --prefix tests/browser/node)")
    return AXE_JS


def run(page: Page, script: Path) -> list[dict[str, Any]]:
    """Every violation axe finds in the page as it is now (open shadow roots included).

    The page's own CSP forbids inline scripts, so the page must come from a browser context
    made with bypass_csp=True: add_script_tag inserts the file's text as an inline script.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    """The serious and critical violations, one readable line per failing element."""
    lines = []
    for violation in violations:
        if violation.get("impact") not in BLOCKING:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            html = " ".join(str(node.get("html", "")).split())[:SNIPPET_CHARS]
            lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                         f"at {target}: {html}")
    return lines
