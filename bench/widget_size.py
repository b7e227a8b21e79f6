"""`python -m bench.widget_size`: the widget's transfer size, gzipped (-9), as JSON.

The anchor is Join.chat's published size (about 4.1 KB of JS plus 5.5 KB of CSS, gzipped).
StoreChat's CSS lives inside widget.js (a <style> in the Shadow DOM), so its JS figure is
JS + CSS. The loader is what a storefront includes; the script follows it. No timing here.
"""
from __future__ import annotations

import json
import sys

from widget import assets

JOINCHAT_JS_GZIP = 4100
JOINCHAT_CSS_GZIP = 5500
TARGET_GZIP = 5000  # the aim: JS + CSS at most 5 KB gzipped


def measure() -> dict[str, object]:
    """Raw and gzipped bytes of the loader and the script, against the anchors."""
    loader, script = assets.loader(), assets.script()
    total = len(loader.gzipped) + len(script.gzipped)
    return {
        "loader_bytes": len(loader.body), "loader_gzip_bytes": len(loader.gzipped),
        "script_bytes": len(script.body), "script_gzip_bytes": len(script.gzipped),
        "total_gzip_bytes": total,
        "anchor_joinchat_gzip_bytes": JOINCHAT_JS_GZIP + JOINCHAT_CSS_GZIP,
        "target_gzip_bytes": TARGET_GZIP, "within_target": total <= TARGET_GZIP,
    }


def main() -> int:
    print(json.dumps(measure(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
