"""`python -m bench.widget`: the widget's weight and its script evaluation time in Chromium.

Sizes come from bench/widget_size.py (gzip -9 of the loader and of the script, which holds
its CSS). Time: StoreChat runs on one loopback port with a store whose widget renders, a
sample storefront on another; Chromium (headless, /usr/bin/chromium) loads the storefront
`--loads` times, each in a fresh context (a first visit: no HTTP or V8 code cache), with
Chromium's tracing on. From each trace, per script URL: `v8.compile` (parse + compile) and
`EvaluateScript` (compile + top-level run: for widget.<hash>.js that ends once it has asked
for its config). The render happens later, when the config arrives: `config_to_rendered_ms`
is measured in the page, from the config response's `responseEnd` (Resource Timing) to the
MutationObserver callback that sees the widget's host element added (JSON parsing, the
rules, building the Shadow DOM; not layout and paint). The baseline is measured in the same run and
the same way: a page whose deferred script is a no-op of the same byte size as widget.js.
Medians are reported, with the ratio widget / baseline. Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import widget_size
from bench.server import in_thread
from bench.storechat import ENCRYPTION_KEY, SECRET_KEY
from widget import assets

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-proxy-server"]
CATEGORIES = ["devtools.timeline", "v8", "disabled-by-default-devtools.timeline"]
RESULTS = Path(__file__).resolve().parent / "results" / "widget.json"
AGENTS = [{"name": "Ana", "role": "Sales", "phone": "+351 912 345 678"},
          {"name": "Rui", "role": "Support", "phone": "+351 913 000 111"}]
# Published by Join.chat (about 4.1 KB JS + 5.5 KB CSS gzipped), recorded as the anchor.
ANCHOR = {"name": "Join.chat", "js_gzip_bytes": widget_size.JOINCHAT_JS_GZIP,
          "css_gzip_bytes": widget_size.JOINCHAT_CSS_GZIP,
          "total_gzip_bytes": widget_size.JOINCHAT_JS_GZIP + widget_size.JOINCHAT_CSS_GZIP}

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="{src}" data-store="{key}" data-product="Sample" data-price="12.50" defer></script>
</head><body><main><h1>Sample product</h1><p>{text}</p></main></body></html>"""



def storechat_app(instance: Path) -> tuple[Any, str]:
    """A migrated StoreChat on SQLite in `instance`, with one store whose widget renders."""
    from plugin import create_app
    from plugin.config import load_settings
    from plugin.infra import db, migrate
    from plugin.models import Store, WidgetSettings

    settings = load_settings({"STORECHAT_ENV": "test", "STORECHAT_INSTANCE_PATH": str(instance),
                              "STORECHAT_ENCRYPTION_KEY": ENCRYPTION_KEY,
                              "STORECHAT_SECRET_KEY": SECRET_KEY}, queue_immediate=True)
    app = create_app(settings)
    with app.app_context():
        migrate.upgrade()
        with db.transaction() as session:
            store = Store(platform="woocommerce", domain="shop.example", name="Bench Shop",
                          country="PT", timezone="Europe/Lisbon")
            session.add(store)
            session.flush()
            session.add(WidgetSettings(store_id=store.id, settings={"agents": AGENTS}))
            key = store.key
    return app, key


def storefront(pages: dict[str, tuple[str, bytes]]) -> Callable[..., Any]:
    """A WSGI site serving fixed bodies: path -> (content type, body)."""
    def app(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        found = pages.get(environ["PATH_INFO"])
        if found is None:
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start("200 OK", [("Content-Type", found[0]), ("Cache-Control", "no-store")])
        return [found[1]]
    return app


def baseline_script(size: int) -> bytes:
    """A script that does nothing, exactly `size` bytes long (one comment and `void 0;`)."""
    head, tail = b"/*", b"*/void 0;\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def script_times(events: list[dict[str, Any]], match: Callable[[str], bool]) -> dict[str, float]:
    """Main-thread milliseconds spent on scripts whose URL passes `match`, from one trace."""
    compile_us = evaluate_us = 0.0
    for event in events:
        if event.get("ph") != "X":
            continue
        data = (event.get("args") or {}).get("data") or {}
        url = data.get("url") or data.get("scriptName") or ""
        if not url or not match(url):
            continue
        name, dur = event.get("name"), float(event.get("dur", 0))
        if name == "v8.compile":
            compile_us += dur
        elif name == "EvaluateScript":
            evaluate_us += dur
    return {"compile_ms": compile_us / 1000, "evaluate_ms": evaluate_us / 1000}


# Notes when the widget's host element is added to the page (see config_to_rendered_ms).
RENDER_PROBE = """new MutationObserver(function (records, observer) {
  if (!document.querySelector('storechat-widget')) return;
  window.__renderedAt = performance.now(); observer.disconnect();
}).observe(document, {childList: true, subtree: true});"""
RENDER_TIME = """(() => {
  const c = performance.getEntriesByType('resource').find(e => e.name.includes('/config.json'));
  return c && window.__renderedAt ? window.__renderedAt - c.responseEnd : null;
})()"""



def load_once(browser: Any, url: str, ready: str) -> tuple[list[dict[str, Any]], float | None]:
    """One first visit to `url` with tracing on, until `ready` (a JS expression) holds."""
    context = browser.new_context()

    def loopback_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", loopback_only)
    context.add_init_script(RENDER_PROBE)
    page = context.new_page()
    try:
        browser.start_tracing(page=page, categories=CATEGORIES)
        page.goto(url, wait_until="load")
        page.wait_for_function(ready, timeout=15_000)
        page.wait_for_timeout(100)  # let the render's last tasks finish inside the trace
        trace = json.loads(browser.stop_tracing())
        rendered = page.evaluate(RENDER_TIME)
    finally:
        context.close()
    return (list(trace.get("traceEvents", trace) if isinstance(trace, dict) else trace),
            rendered)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summarize(samples: list[dict[str, float]]) -> dict[str, Any]:
    keys = samples[0].keys()
    return {f"median_{k}": median([s[k] for s in samples]) for k in keys} | {
        "samples_evaluate_ms": [round(s["evaluate_ms"], 3) for s in samples]}


def measure_time(loads: int, chromium: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    script = assets.script()
    hashed = f"/widget.{script.version}.js"
    baseline = baseline_script(len(script.body))
    text = "Long description. " * 200
    with tempfile.TemporaryDirectory(prefix="storechat-bench-widget-") as work:
        app, key = storechat_app(Path(work) / "instance")
        try:
            with in_thread(app) as storechat:
                pages = {
                    "/widget": ("text/html; charset=utf-8", PAGE.format(
                        src=f"{storechat}/widget.js", key=key, text=text).encode()),
                    "/baseline": ("text/html; charset=utf-8", PAGE.format(
                        src="/baseline.js", key=key, text=text).encode()),
                    "/baseline.js": ("text/javascript", baseline),
                }
                with in_thread(storefront(pages)) as shop, sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=chromium,
                                                         headless=True, args=CHROMIUM_ARGS)
                    try:
                        rendered = ("(() => { const h = document.querySelector("
                                    "'storechat-widget'); return h && h.shadowRoot && "
                                    "h.shadowRoot.querySelector('button'); })()")
                        widget, loader, base, render = [], [], [], []
                        load_once(browser, f"{shop}/widget", rendered)  # warm-up, not counted
                        load_once(browser, f"{shop}/baseline", "document.readyState=='complete'")
                        for _ in range(loads):  # interleaved, so drift hits both alike
                            events, render_ms = load_once(browser, f"{shop}/widget", rendered)
                            if render_ms is not None:
                                render.append(render_ms)
                            widget.append(script_times(events, lambda u: u.endswith(hashed)))
                            loader.append(script_times(
                                events, lambda u: urlsplit(u).path == "/widget.js"))
                            events, _ = load_once(browser, f"{shop}/baseline",
                                               "document.readyState=='complete'")
                            base.append(script_times(events,
                                                     lambda u: u.endswith("/baseline.js")))
                        version = browser.version
                    finally:
                        browser.close()
        finally:
            app.extensions["storechat.engine"].dispose()
    result: dict[str, Any] = {
        "chromium": version, "loads": loads,
        "widget_script": summarize(widget) | {"bytes": len(script.body)},
        "widget_render": {"median_config_to_rendered_ms": median(render) if render else None,
                          "samples": [round(r, 3) for r in render]},
        "loader": summarize(loader) | {"bytes": len(assets.loader().body)},
        "baseline_same_size_noop": summarize(base) | {"bytes": len(baseline)},
    }
    w, b = result["widget_script"], result["baseline_same_size_noop"]
    result["ratio_evaluate"] = (round(w["median_evaluate_ms"] / b["median_evaluate_ms"], 2)
                                if b["median_evaluate_ms"] else None)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.widget", description=__doc__)
    parser.add_argument("--loads", type=int, default=15, help="page loads per target (15)")
    parser.add_argument("--chromium", default=str(CHROMIUM), help="Chromium executable")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {"size": widget_size.measure(), "anchor": ANCHOR}
    if not Path(args.chromium).exists():
        print(f"{args.chromium} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    report["time"] = measure_time(args.loads, args.chromium)
    text = json.dumps(report, indent=2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n")
    print(text)
    t = report["time"]
    evaluate = t["widget_script"]["median_evaluate_ms"]
    print(f"widget.js {report['size']['total_gzip_bytes']} B gzipped (Join.chat "
          f"{ANCHOR['total_gzip_bytes']} B); evaluate {evaluate} ms"
          f" vs same-size no-op {t['baseline_same_size_noop']['median_evaluate_ms']} ms "
          f"(×{t['ratio_evaluate']}), median of {t['loads']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
