"""The Shopify theme app extension (extensions/storechat-widget/): its TOML, its app embed
block's schema, the size of its JavaScript, and how product values reach JavaScript.

Shopify's theme-check runs too: `@shopify/theme-check-node`, pinned in
tests/theme/node/package-lock.json, installed by `make test` (`npm ci --prefix
tests/theme/node`); without npm the check skips, and fails under STORECHAT_REQUIRE_SERVICES=1
(STORECHAT_THEME_CHECK_MODULES may point at another node_modules folder). It runs with a
preload that refuses any connection beyond loopback (theme-check would otherwise try to
download Shopify's Liquid docs from GitHub; it falls back to its own copy).
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, need

EXTENSION = ROOT / "extensions" / "storechat-widget"
BLOCKS = [EXTENSION / "blocks" / "app-embed.liquid"]  # the app embed (the widget loader)
# Every block: the embed, and the product page's "Notify me on WhatsApp" app block.
ALL_BLOCKS = sorted((EXTENSION / "blocks").glob("*.liquid"))
TARGETS = {"app-embed.liquid": "body", "notify_me.liquid": "section"}
# Shopify's suggestion for an app block's JavaScript, compressed (theme-check enforces it).
JS_LIMIT_GZIP = 10_000
SETTING_TYPES = {"checkbox", "text", "textarea", "url", "select", "radio", "range", "number",
                 "color", "image_picker", "richtext", "product", "collection", "page",
                 "header", "paragraph", "link_list", "font_picker", "video_url"}
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)
THEME_CHECK_MODULES = Path(os.environ.get(
    "STORECHAT_THEME_CHECK_MODULES",
    ROOT / "tests" / "theme" / "node" / "node_modules"))


def schema_of(block: Path) -> dict[str, Any]:
    found = SCHEMA.findall(block.read_text())
    assert len(found) == 1, f"{block.name}: exactly one {{% schema %}} expected"
    return json.loads(found[0])


def translated(value: str, locale: dict[str, Any]) -> str:
    """A "t:a.b.c" schema string resolved in locales/en.default.schema.json."""
    if not value.startswith("t:"):
        return value
    node: Any = locale
    for part in value[2:].split("."):
        assert isinstance(node, dict) and part in node, f"missing translation {value}"
        node = node[part]
    assert isinstance(node, str) and node.strip(), value
    return node


def test_the_toml_names_a_theme_extension() -> None:
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme"
    assert config["handle"] == "storechat-widget"
    assert config["name"].strip()


def test_every_block_has_a_valid_schema() -> None:
    assert [b.name for b in ALL_BLOCKS] == sorted(TARGETS)
    locale = json.loads((EXTENSION / "locales" / "en.default.schema.json").read_text())
    for block in ALL_BLOCKS:
        schema = schema_of(block)
        assert translated(schema["name"], locale)
        assert len(translated(schema["name"], locale)) <= 25  # the theme editor's limit
        # The embed is an app embed block (body); notify_me is a block themes place (section).
        assert schema["target"] == TARGETS[block.name]
        ids = [s["id"] for s in schema["settings"]]
        assert len(ids) == len(set(ids)), "setting ids must be unique"
        for setting in schema["settings"]:
            assert setting["type"] in SETTING_TYPES, setting
            assert re.fullmatch(r"[a-z_][a-z0-9_]*", setting["id"]), setting
            assert translated(setting["label"], locale)
            if "info" in setting:
                assert translated(setting["info"], locale)
        for key in ("javascript", "stylesheet"):
            if key in schema:
                assert (EXTENSION / "assets" / schema[key]).is_file(), schema[key]
        assert {"store_key", "widget_url"} <= set(ids)


def test_assets_are_small() -> None:
    for asset in (EXTENSION / "assets").glob("*.js"):
        size = len(gzip.compress(asset.read_bytes(), compresslevel=9))
        assert size < JS_LIMIT_GZIP, f"{asset.name}: {size} bytes gzipped"
    embed = (EXTENSION / "assets" / "storechat-embed.js").read_bytes()
    assert len(gzip.compress(embed, compresslevel=9)) < 1_500  # it is only a variant tracker


def test_the_embed_outputs_the_loader_deferred_with_the_store_key() -> None:
    liquid = BLOCKS[0].read_text()
    script = re.search(r'<script src="([^"]+)" data-store="([^"]+)" defer></script>', liquid)
    assert script, "the loader <script src=... data-store=... defer> is missing"
    assert "append: '/widget.js' | escape" in script.group(1)
    assert script.group(2) == "{{ sc_key | escape }}"
    # The key and URL come from the app's own metafields first, the settings second.
    for setting in ("store_key", "widget_url"):
        assert (f"app.metafields.storechat.{setting}.value | default: block.settings.{setting}"
                in liquid)


def test_product_values_reach_javascript_only_through_json() -> None:
    liquid = SCHEMA.sub("", BLOCKS[0].read_text())
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", liquid, re.S)
    assert scripts, "the product context script is missing"
    outputs = [o for body in scripts for o in re.findall(r"{{(.*?)}}", body, re.S)]
    assert outputs
    for output in outputs:
        assert re.search(r"\|\s*json\s*$", output.strip()), f"not JSON-escaped: {{{{{output}}}}}"
    context = scripts[0]
    for field in ("product", "price", "sku", "variant", "url"):
        assert re.search(rf"\b{field}: {{{{ [^}}]*\| json }}}}", context), field
    assert "window.StoreChatProduct" in context


def test_the_embed_script_follows_variant_changes() -> None:
    js = (EXTENSION / "assets" / "storechat-embed.js").read_text()
    for event in ("'variant:change'", "'on:variant:change'", "'popstate'"):
        assert event in js, event
    assert "storechat-variants" in js and "?variant=" in js


def theme_check_ready() -> None:
    """Skips (fails with STORECHAT_REQUIRE_SERVICES=1) without node or theme-check."""
    need(shutil.which("node") is not None, "node is not installed")
    need((THEME_CHECK_MODULES / "@shopify" / "theme-check-node").is_dir(),
         f"@shopify/theme-check-node is not installed in {THEME_CHECK_MODULES}: run "
         "`make theme-check` (npm ci --prefix tests/theme/node)")


LOOPBACK_ONLY = r"""
const dns = require('dns'), net = require('net');
const ok = (h) => !h || h === 'localhost' || h === '127.0.0.1' || h === '::1';
const refuse = (h) => new Error('loopback only: ' + h);
const lookup = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (typeof opts === 'function') { cb = opts; opts = {}; }
  if (!ok(host)) return process.nextTick(cb, refuse(host));
  return lookup.call(this, host, opts, cb);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const a = args[0];
  const o = a && typeof a === 'object' ? (Array.isArray(a) ? a[0] : a) : {host: args[1]};
  if (o && o.path === undefined && !ok(o.host)) {
    const e = refuse(o.host); process.nextTick(() => this.destroy(e)); return this;
  }
  return connect.apply(this, args);
};
"""
RUN_THEME_CHECK = r"""
const tc = require('@shopify/theme-check-node'), path = require('path');
const config = path.join(path.dirname(require.resolve('@shopify/theme-check-node/package.json')),
                         'configs', 'theme-app-extension.yml');
tc.check(path.resolve(process.argv[2]), config).then((offenses) => {
  console.log(JSON.stringify(offenses.map((o) => ({check: o.check, severity: o.severity,
    file: o.uri, message: o.message}))));
}).catch((e) => { console.error(e); process.exit(2); });
"""


def theme_check(extension: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """Shopify's theme-check over an extension folder: its offenses."""
    theme_check_ready()
    (tmp_path / "loopback-only.js").write_text(LOOPBACK_ONLY)
    (tmp_path / "run.js").write_text(RUN_THEME_CHECK)
    environ = {**os.environ, "NODE_PATH": str(THEME_CHECK_MODULES),
               "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(["node", "-r", str(tmp_path / "loopback-only.js"),
                             str(tmp_path / "run.js"), str(extension)],
                            capture_output=True, text=True, timeout=120, env=environ)
    assert result.returncode == 0, result.stderr[-3000:]
    offenses: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return offenses


def test_shopify_theme_check_finds_nothing(tmp_path: Path) -> None:
    offenses = theme_check(EXTENSION, tmp_path)
    assert offenses == [], json.dumps(offenses, indent=1)


def test_shopify_theme_check_would_find_a_broken_block(tmp_path: Path) -> None:
    broken = tmp_path / "extension"
    shutil.copytree(EXTENSION, broken)
    block = broken / "blocks" / "notify_me.liquid"
    # A filter Liquid does not have, and a schema naming a script that is not there.
    block.write_text(block.read_text().replace("| escape -}}", "| no_such_filter -}}", 1)
                     .replace('"storechat-notify-me.js"', '"missing.js"'))
    checks = {o["check"] for o in theme_check(broken, tmp_path)}
    assert {"UnknownFilter", "AssetSizeAppBlockJavaScript"} <= checks, checks


def test_the_designer_deep_link_names_this_block() -> None:
    from widget.designer import EMBED_BLOCK_HANDLE

    assert (EXTENSION / "blocks" / f"{EMBED_BLOCK_HANDLE}.liquid").exists()
