"""The widget script as served: read once, content-hashed, gzipped once (level 9).

`GET /widget.js` is a tiny stable loader (short cache) that adds the hashed script
`/widget.<hash>.js` (cached for a year, immutable) to the page, handing it the `<script>`
tag with its `data-*` attributes. A deploy changes the hash; loaders pick it up within
LOADER_MAX_AGE seconds.
"""
from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SCRIPT_PATH = Path(__file__).resolve().parent / "static" / "widget.js"
LOADER_TEMPLATE = (
    "/* StoreChat widget loader */(function(d){var s=d.currentScript;"
    "if(!s||window.StoreChatTag)return;window.StoreChatTag=s;var n=d.createElement('script');"
    "n.src=s.src.replace(/widget\\.js([?#].*)?$/,'widget.{version}.js');n.async=true;"
    "(d.head||d.documentElement).appendChild(n)})(document);\n"
)


@dataclass(frozen=True)
class Asset:
    """One servable body, plain and gzipped, with its version (a content hash)."""

    body: bytes
    gzipped: bytes
    version: str


def _asset(body: bytes) -> Asset:
    return Asset(body=body, gzipped=gzip.compress(body, compresslevel=9, mtime=0),
                 version=hashlib.sha256(body).hexdigest()[:12])


_LEADING_BLOCK_COMMENT = re.compile(r"\A\s*/\*.*?\*/\s*", re.DOTALL)


def compact(source: str) -> str:
    """The script as shipped: the source minus its header comment, whole-line `//`
    comments, indentation and blank lines (safe: the source has no template literals or
    line continuations, which a test checks), so comments cost shoppers nothing."""
    lines = (line.strip() for line in _LEADING_BLOCK_COMMENT.sub("", source).splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


@lru_cache(maxsize=1)
def script() -> Asset:
    """The widget script as served (compacted)."""
    return _asset(compact(SCRIPT_PATH.read_text(encoding="utf-8")).encode())


@lru_cache(maxsize=1)
def loader() -> Asset:
    """The stable loader, pointing at the current script version."""
    return _asset(LOADER_TEMPLATE.replace("{version}", script().version).encode())
