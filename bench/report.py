"""Handing a benchmark's report out: JSON on stdout and in bench/results/, a summary on stderr."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def publish(name: str, report: dict[str, Any], output: Path, summary: str) -> int:
    """Write `report` as JSON to `output` and stdout, `summary` to stderr; 1 if it has errors."""
    text = json.dumps(report, indent=2, ensure_ascii=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    print(text)
    print(f"{name}: wrote {output}\n{summary}", file=sys.stderr, flush=True)
    return 1 if report["errors"] else 0
