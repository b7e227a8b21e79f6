"""The companion plugin's "Notify me on WhatsApp" (includes/notify-me.php) on stubbed
WordPress and WooCommerce: shown on out-of-stock simple products, hidden until a variation
is found sold out on variable ones, absent in stock or before the store is connected."""
from __future__ import annotations

import html
import re

from tests.widget.test_wordpress_plugin import CONNECTED, _wordpress, php

__all__ = ["php"]

# A product page and its product, as WooCommerce would hand them to the plugin.
PRODUCT_STUBS = r"""
class WC_Product {
    public $type; public $stock;
    function __construct($type, $stock) { $this->type = $type; $this->stock = $stock; }
    function is_type($type) { return $this->type === $type; }
    function is_in_stock() { return $this->stock; }
    function get_id() { return 42; }
}
function is_product() { return true; }
function get_queried_object_id() { return 42; }
function wc_get_product($id) { return $GLOBALS['product']; }
function get_permalink($id) { return 'https://shop.test/product/linen-shirt/?utm=x'; }
function plugin_dir_url($file) { return 'https://shop.test/wp-content/plugins/storechat/'; }
function wp_enqueue_style(...$args) { storechat_test_call('wp_enqueue_style', $args); }
function esc_attr__($text) { return esc_attr($text); }
"""


def render(php: str, product: str, connected: bool = True) -> tuple[str, list]:
    """The product page's notify-me output and the plugin's calls."""
    code = PRODUCT_STUBS + f"$GLOBALS['product'] = new WC_Product({product});" + (
        "storechat_enqueue_notify_me(); storechat_notify_me_form();")
    return _wordpress(php, code, CONNECTED if connected else None)


def test_a_sold_out_simple_product_shows_the_form_for_itself(php: str) -> None:
    page, calls = render(php, "'simple', false")
    root = re.search(r"<div class=\"storechat-notify\"[^>]*>", page)
    assert root and " hidden" not in root.group(0)
    assert 'data-endpoint="http://127.0.0.1:8000/widget/storeKey_1/notify"' in page
    assert 'name="variant" value="42"' in page
    assert 'name="page" value="/product/linen-shirt/"' in page
    assert 'name="consent" value="1" required' in page and 'type="tel" name="phone"' in page
    text = re.search(r'name="text" value="([^"]+)"', page)
    assert text and "back in stock" in html.unescape(text.group(1))
    scripts = [args for name, args in calls if name == "wp_enqueue_script"]
    assert [(s[0], s[1], s[2]) for s in scripts if s[0] == "storechat-notify-me"] == [
        ("storechat-notify-me",
         "https://shop.test/wp-content/plugins/storechat/assets/notify-me.js", ["jquery"])]


def test_a_variable_product_waits_for_a_sold_out_variation(php: str) -> None:
    page, _ = render(php, "'variable', true")
    root = re.search(r"<div class=\"storechat-notify\"[^>]*>", page)
    assert root and "hidden" in root.group(0)
    assert 'name="variant" value=""' in page  # found_variation fills it in


def test_nothing_in_stock_or_before_connecting(php: str) -> None:
    assert "storechat-notify" not in render(php, "'simple', true")[0]
    page, calls = render(php, "'simple', false", connected=False)
    assert "storechat-notify" not in page
    assert not any(name.startswith("wp_enqueue") for name, _ in calls)


def test_the_script_follows_woocommerces_variation_events() -> None:
    from tests.conftest import ROOT

    js = (ROOT / "widget" / "wordpress" / "storechat" / "assets" / "notify-me.js").read_text()
    assert "'found_variation'" in js and "'reset_data'" in js and "is_in_stock" in js
