"""The WordPress companion plugin: PHP that lints, and signatures the Python side accepts."""
from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
import time
from urllib.parse import parse_qs, urlencode

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from adapters.woocommerce import webhooks
from plugin.auth import wordpress
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.stores import set_credentials
from plugin.platforms.woocommerce.connection_key import (
    MAX_KEY_LENGTH,
    ConnectionKey,
    make_connection_key,
    parse_connection_key,
)
from tests.conftest import ROOT, create_owner, need
from webhooks.signatures import hmac_sha256_base64, verify_base64_hmac

PLUGIN = ROOT / "widget" / "wordpress" / "storechat"
INCLUDES = PLUGIN / "includes"
SECRET = "c0nnection-secret-" + "x" * 14

# Keys both parsers must refuse, each for its own reason.
GARBAGE_KEYS = [
    "",
    "   ",
    "sc2.eyJ9",
    "hello",
    "sc1.",
    "sc1.a",  # a base64 length that cannot be
    "sc1.!!!!",
    "sc1.eyJ1cmwiOiJodHRwOi8veCJ9=",  # padding is not part of the format
    "sc1." + "A" * 3000,
]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key_from(data: object) -> str:
    return "sc1." + _b64url(json.dumps(data).encode())


BAD_PAYLOADS = [
    ["a", "list"],
    {"url": "http://127.0.0.1:8000", "store": "abc"},  # no secret
    {"url": "ftp://127.0.0.1", "store": "abc", "secret": SECRET},
    {"url": "http://127.0.0.1/?q=1", "store": "abc", "secret": SECRET},
    {"url": "http://user:pw@127.0.0.1", "store": "abc", "secret": SECRET},
    {"url": "http://127.0.0.1", "store": "a/b", "secret": SECRET},
    {"url": "http://127.0.0.1", "store": "abc", "secret": "short"},
    {"url": "http://127.0.0.1", "store": "abc", "secret": SECRET + " with space"},
    {"url": "http://127.0.0.1", "store": 12, "secret": SECRET},
]


@pytest.fixture(scope="module")
def php() -> str:
    """The php-cli binary (Debian package php-cli)."""
    binary = shutil.which("php")
    need(binary is not None, "php is not on PATH (apt-get install php-cli)")
    assert binary is not None
    return binary


def _run_php(php: str, code: str, *args: str,
             stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Runs `code` after loading the plugin's pure files, as WordPress would (ABSPATH set)."""
    prelude = (
        "define('ABSPATH', __DIR__ . '/');"
        f"require {json.dumps(str(INCLUDES / 'signing.php'))};"
        f"require {json.dumps(str(INCLUDES / 'connection-key.php'))};"
    )
    return subprocess.run([php, "-d", "display_errors=stderr", "-r", prelude + code, "--", *args],
                          input=stdin, capture_output=True, timeout=30, check=False)


def _php_sign_body(php: str, body: bytes, secret: str) -> str:
    result = _run_php(php, "echo storechat_sign_body(file_get_contents('php://stdin'), $argv[1]);",
                      secret, stdin=body)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _php_signin_query(php: str, store: str, ts: int, nonce: str, secret: str) -> str:
    code = "echo storechat_signin_query($argv[1], (int) $argv[2], $argv[3], $argv[4]);"
    result = _run_php(php, code, store, str(ts), nonce, secret)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _php_parse_key(php: str, key: str) -> tuple[dict[str, str] | None, str]:
    code = ("try { echo json_encode(storechat_parse_connection_key($argv[1])); }"
            " catch (InvalidArgumentException $e) { fwrite(STDERR, $e->getMessage()); exit(3); }")
    result = _run_php(php, code, key)
    if result.returncode == 3:
        return None, result.stderr.decode()
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout), ""


# --- the plugin as files --------------------------------------------------------------------


def test_every_php_file_lints(php: str) -> None:
    files = sorted((ROOT / "widget" / "wordpress").rglob("*.php"))
    assert len(files) >= 8, files
    for path in files:
        result = subprocess.run([php, "-l", str(path)], capture_output=True, text=True,
                                timeout=30, check=False)
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"


def test_no_php_file_runs_when_opened_directly() -> None:
    for path in PLUGIN.rglob("*.php"):
        guard = "defined( 'WP_UNINSTALL_PLUGIN' ) || exit;" if path.name == "uninstall.php" \
            else "defined( 'ABSPATH' ) || exit;"
        assert guard in path.read_text(), path


def test_plugin_header_and_readme_agree() -> None:
    header = (PLUGIN / "storechat.php").read_text()
    fields = dict(re.findall(r"^ \* ([A-Za-z ]+):\s+(.+)$", header, re.M))
    for name in ("Plugin Name", "Description", "Version", "Requires at least", "Requires PHP",
                 "Author", "License", "Text Domain"):
        assert fields.get(name), name
    assert fields["License"] == "GPLv2 or later"
    assert f"define( 'STORECHAT_VERSION', '{fields['Version']}' );" in header
    readme = (PLUGIN / "readme.txt").read_text()
    assert readme.startswith(f"=== {fields['Plugin Name']} ===")
    assert f"Stable tag: {fields['Version']}" in readme
    assert f"Requires PHP: {fields['Requires PHP']}" in readme
    for section in ("== Description ==", "== Installation ==", "== Changelog ==",
                    "== External services =="):
        assert section in readme


# --- signed cart events ---------------------------------------------------------------------


def test_php_body_signature_is_accepted_by_python(php: str) -> None:
    # WordPress escapes slashes and may send any UTF-8; the signature covers the raw bytes.
    body = json.dumps({"cart_token": "ab" * 16, "restore_url": "https://shop.example.com/?r=1",
                       "first_name": "João", "items": [{"name": "Tee \"XL\"", "quantity": 2,
                                                        "price": "9.50"}]},
                      ensure_ascii=False).replace("/", "\\/").encode()
    signature = _php_sign_body(php, body, SECRET)
    assert signature == hmac_sha256_base64(SECRET.encode(), body)
    assert verify_base64_hmac([SECRET.encode()], body, signature)
    assert not verify_base64_hmac([SECRET.encode()], body.replace(b"9.50", b"0.50"), signature)
    assert not verify_base64_hmac([b"another-secret-of-some-length"], body, signature)


@settings(max_examples=15, deadline=None)
@given(body=st.binary(max_size=300))
def test_php_signs_any_bytes_like_python(php: str, body: bytes) -> None:
    assert _php_sign_body(php, body, SECRET) == hmac_sha256_base64(SECRET.encode(), body)


# --- "Open StoreChat" sign-in links ---------------------------------------------------------


def _woocommerce_store(app: Flask, with_owner: bool = True) -> str:
    owner_id = create_owner(app, "wp@example.com") if with_owner else None
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example.com", owner_id=owner_id)
        set_credentials(store, {"connection_secret": SECRET})
        session.add(store)
        session.flush()
        return store.key


def test_php_signin_signature_matches_python(php: str) -> None:
    query = parse_qs(_php_signin_query(php, "storeKey_1", 1_700_000_000, "n0nce", SECRET))
    assert query == {"store": ["storeKey_1"], "ts": ["1700000000"], "nonce": ["n0nce"],
                     "signature": [wordpress.sign(SECRET, "storeKey_1", 1_700_000_000, "n0nce")]}


def test_php_signin_link_is_verified_by_python(php: str, app: Flask) -> None:
    key = _woocommerce_store(app)
    query = parse_qs(_php_signin_query(php, key, int(time.time()), secrets.token_hex(12), SECRET))
    with app.app_context(), db.transaction() as session:
        store = session.scalar(select(Store).where(Store.key == key))
        signed_in = wordpress.verify(session, store, query["ts"][0], query["nonce"][0],
                                     query["signature"][0], int(time.time()))
        assert signed_in.key == key


def test_php_signin_link_signs_in_once(php: str, app: Flask) -> None:
    key = _woocommerce_store(app)
    link = "/auth/wordpress?" + _php_signin_query(php, key, int(time.time()), "Abc123xyz", SECRET)
    client = app.test_client()
    assert client.get(link).status_code == 302
    assert client.get("/").status_code == 200
    assert app.test_client().get(link).status_code == 403


@pytest.mark.parametrize("tamper", ["ts", "nonce", "store", "signature", "secret"])
def test_tampered_php_signin_links_are_refused(php: str, app: Flask, tamper: str) -> None:
    key = _woocommerce_store(app)
    now = int(time.time())
    secret = "a-different-secret-entirely" if tamper == "secret" else SECRET
    signed = parse_qs(_php_signin_query(php, key, now, "n0nce42", secret))
    query = {name: values[0] for name, values in signed.items()}
    last = query["signature"][-1]
    changes = {"ts": str(now - 1), "nonce": "n0nce43", "store": "someoneElse",
               "signature": query["signature"][:-1] + ("1" if last == "0" else "0")}
    if tamper in changes:
        query[tamper] = changes[tamper]
    client = app.test_client()
    assert client.get("/auth/wordpress?" + urlencode(query)).status_code == 403
    assert client.get("/").status_code == 302


# --- the connection key ---------------------------------------------------------------------


def test_connection_key_round_trip() -> None:
    key = make_connection_key("https://chat.example.com/", "s7ZJr0nL-w_E3T1q", SECRET)
    assert key.startswith("sc1.") and "=" not in key
    assert parse_connection_key(f"  {key}\n") == ConnectionKey(
        url="https://chat.example.com", store="s7ZJr0nL-w_E3T1q", secret=SECRET)
    assert parse_connection_key(key).webhook_url == \
        "https://chat.example.com/webhooks/woocommerce/s7ZJr0nL-w_E3T1q"


@given(store=st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
       secret=st.from_regex(r"[\x21-\x7e]{16,64}", fullmatch=True),
       port=st.integers(min_value=1, max_value=65535))
def test_connection_key_round_trips_any_valid_parts(store: str, secret: str, port: int) -> None:
    url = f"http://127.0.0.1:{port}"
    assert parse_connection_key(make_connection_key(url, store, secret)) == \
        ConnectionKey(url=url, store=store, secret=secret)


@pytest.mark.parametrize("parts", [("not a url", "abc", SECRET), ("http://127.0.0.1", "", SECRET),
                                   ("http://127.0.0.1", "abc", "short")])
def test_make_connection_key_refuses_parts_that_would_not_parse(
        parts: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        make_connection_key(*parts)


@pytest.mark.parametrize("key", GARBAGE_KEYS + [_key_from(p) for p in BAD_PAYLOADS])
def test_python_refuses_malformed_keys(key: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_connection_key(key)


def test_python_refuses_a_key_nested_too_deep_to_parse() -> None:
    key = "sc1." + _b64url(b"[" * 1500)
    assert len(key) <= MAX_KEY_LENGTH
    with pytest.raises(ValueError, match="damaged"):
        parse_connection_key(key)


def test_php_parses_a_key_made_by_python(php: str) -> None:
    key = make_connection_key("http://127.0.0.1:8000/", "s7ZJr0nL-w_E3T1q", SECRET + "~!\"'\\")
    parsed, error = _php_parse_key(php, key)
    assert error == ""
    expected = parse_connection_key(key)
    assert parsed == {"url": expected.url, "store": expected.store, "secret": expected.secret}


@pytest.mark.parametrize("key", GARBAGE_KEYS + [_key_from(p) for p in BAD_PAYLOADS])
def test_php_refuses_what_python_refuses_with_the_same_words(php: str, key: str) -> None:
    parsed, error = _php_parse_key(php, key)
    assert parsed is None
    with pytest.raises(ValueError) as refused:
        parse_connection_key(key)
    assert error == str(refused.value)


def test_php_shows_only_the_end_of_the_secret(php: str) -> None:
    result = _run_php(php, "echo storechat_mask_secret($argv[1]);", SECRET)
    assert result.stdout.decode().endswith(SECRET[-4:])
    assert SECRET[:-4] not in result.stdout.decode()


def test_settings_page_never_prints_the_secret() -> None:
    page = (INCLUDES / "settings.php").read_text()
    assert "storechat_mask_secret( $connection['secret'] )" in page
    assert "esc_html( $connection['secret'] )" not in page
    assert "esc_attr( $connection['secret'] )" not in page


# --- the WordPress-facing code, on a few stubbed WordPress functions ------------------------

# Just enough of WordPress to load the plugin and call its functions; each stub records what
# the plugin asked for in $GLOBALS['calls'] and the runner prints it as JSON.
WORDPRESS_STUBS = r"""
define('ABSPATH', '/');
define('MINUTE_IN_SECONDS', 60);
define('DAY_IN_SECONDS', 86400);
$GLOBALS['options'] = array();
$GLOBALS['calls'] = array();
$GLOBALS['filters'] = array();
function storechat_test_call($name, $args) { $GLOBALS['calls'][] = array($name, $args); }
function add_action($hook, $callback) { $GLOBALS['filters'][$hook][] = $callback; }
function add_filter($hook, $callback) { $GLOBALS['filters'][$hook][] = $callback; }
function apply_filters($hook, $value) {
    foreach ($GLOBALS['filters'][$hook] ?? array() as $callback) { $value = $callback($value); }
    return $value;
}
function plugin_basename($file) { return 'storechat/storechat.php'; }
function get_option($name, $default = false) { return $GLOBALS['options'][$name] ?? $default; }
function update_option($name, $value) { $GLOBALS['options'][$name] = $value; return true; }
function delete_option($name) { unset($GLOBALS['options'][$name]); return true; }
function get_transient($name) { return $GLOBALS['transients'][$name] ?? false; }
function set_transient($name, $value) { storechat_test_call('set_transient', array($name, $value)); }
function delete_transient($name) {}
function get_current_user_id() { return 1; }
function current_user_can($capability) { return $GLOBALS['can'] ?? true; }
function check_admin_referer($action) { storechat_test_call('check_admin_referer', array($action)); return 1; }
function wp_die($message) { echo 'DIED: ', $message; exit(4); }
function __($text) { return $text; }
function wp_unslash($value) { return stripslashes($value); }
function sanitize_textarea_field($text) { return trim(strip_tags($text)); }
function sanitize_text_field($text) { return trim(preg_replace('/\\s+/', ' ', strip_tags($text))); }
function esc_html__($text) { return esc_html($text); }
function esc_html_e($text) { echo esc_html($text); }
function esc_html($text) { return htmlspecialchars((string) $text, ENT_QUOTES); }
function esc_attr($text) { return htmlspecialchars((string) $text, ENT_QUOTES); }
function esc_url($url) { return htmlspecialchars((string) $url, ENT_QUOTES); }
function admin_url($path = '') { return 'http://shop.test/wp-admin/' . $path; }
function wp_nonce_field($action) { echo '<input type="hidden" name="_wpnonce" value="nonce-', $action, '">'; }
function submit_button($text = 'Save Changes') { echo '<button>', esc_html($text), '</button>'; }
function get_bloginfo($what) { return $GLOBALS['wp_version'] ?? '6.5'; }
function wp_enqueue_script(...$args) { storechat_test_call('wp_enqueue_script', $args); }
function wp_generate_password($length, $special) { return substr(bin2hex(random_bytes($length)), 0, $length); }
function wp_parse_url($url, $component = -1) { return parse_url($url, $component); }
function wp_json_encode($data, $flags = 0) { return json_encode($data, $flags); }
function is_wp_error($thing) { return false; }
function wp_remote_post($url, $args) { storechat_test_call('wp_remote_post', array($url, $args)); return array(); }
function wp_safe_redirect($location) {
    $host = parse_url($location, PHP_URL_HOST);
    $allowed = apply_filters('allowed_redirect_hosts', array('shop.test'));
    $safe = in_array($host, $allowed, true) ? $location : admin_url();
    storechat_test_call('wp_safe_redirect', array($safe));
}
register_shutdown_function(function () {
    storechat_test_call('options', $GLOBALS['options']);  // last, after any exit
    echo "\n@@CALLS@@", json_encode($GLOBALS['calls']);
});
"""


def _wordpress(php: str, code: str, options: dict[str, object] | None = None) -> tuple[str, list]:
    """Runs `code` with the whole plugin loaded on stubs; returns (output, recorded calls)."""
    setup = f"$GLOBALS['options'] = json_decode({json.dumps(json.dumps(options or {}))}, true);"
    plugin = f"require {json.dumps(str(PLUGIN / 'storechat.php'))};"
    command = [php, "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL",
               "-r", WORDPRESS_STUBS + setup + plugin + code]
    result = subprocess.run(command, capture_output=True, timeout=30, check=False)
    assert result.returncode in (0, 4), result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()  # no notice, warning or deprecation
    output, _, calls = result.stdout.decode().rpartition("@@CALLS@@")
    return output, json.loads(calls)


CONNECTED = {"storechat_connection": {"url": "http://127.0.0.1:8000", "store": "storeKey_1",
                                      "secret": SECRET}}


def test_settings_page_masks_the_secret(php: str) -> None:
    page, _ = _wordpress(php, "storechat_render_settings_page();", CONNECTED)
    assert SECRET not in page and SECRET[:-4] not in page
    assert SECRET[-4:] in page and "storeKey_1" in page
    for action in ("storechat_save", "storechat_open", "storechat_disconnect"):
        assert f'value="{action}"' in page and f'value="nonce-{action}"' in page
    assert "Open StoreChat" in page


def test_settings_page_is_empty_without_the_capability(php: str) -> None:
    forbidden = "$GLOBALS['can'] = false;"
    page, _ = _wordpress(php, forbidden + "storechat_render_settings_page();", CONNECTED)
    assert page.strip() == ""
    died, calls = _wordpress(php, forbidden + "storechat_handle_disconnect();", CONNECTED)
    assert "not allowed" in died
    assert calls == [["options", CONNECTED]]  # no nonce check reached, nothing deleted


def test_saving_a_key_checks_the_nonce_and_stores_the_parsed_key(php: str) -> None:
    key = make_connection_key("http://127.0.0.1:8000", "storeKey_1", SECRET)
    wrapped = key[:30] + "\\r\\n" + key[30:]  # as an e-mail client may wrap it
    code = (f"$_POST = array('storechat_connection_key' => \"{wrapped}\", "
            "'storechat_consent_text' => '<b>Yes</b> please'); storechat_handle_save();")
    _, calls = _wordpress(php, code)
    assert calls[0] == ["check_admin_referer", ["storechat_save"]]
    options = calls[-1][1]
    assert options["storechat_connection"] == CONNECTED["storechat_connection"]
    assert options["storechat_consent_text"] == "Yes please"
    settings_page = "http://shop.test/wp-admin/options-general.php?page=storechat"
    assert ["wp_safe_redirect", [settings_page]] in calls


def test_a_bad_key_is_refused_with_its_reason(php: str) -> None:
    code = ("$_POST = array('storechat_connection_key' => 'sc1.!!', 'storechat_consent_text' => '');"
            "storechat_handle_save();")
    _, calls = _wordpress(php, code, CONNECTED)
    notice = next(args[1] for name, args in calls if name == "set_transient")
    assert notice == {"type": "error",
                      "message": "The connection key is damaged: copy it again from StoreChat."}
    assert calls[-1][1]["storechat_connection"] == CONNECTED["storechat_connection"]  # kept


def test_open_storechat_redirects_to_a_link_python_accepts(php: str, app: Flask) -> None:
    key = _woocommerce_store(app)
    connection = {"url": "http://127.0.0.1:8000", "store": key, "secret": SECRET}
    options = {"storechat_connection": connection}
    _, calls = _wordpress(php, "storechat_handle_open();", options)
    assert ["check_admin_referer", ["storechat_open"]] in calls
    location = next(args[0] for name, args in calls if name == "wp_safe_redirect")
    assert location.startswith("http://127.0.0.1:8000/auth/wordpress?")
    assert app.test_client().get(location.removeprefix("http://127.0.0.1:8000")).status_code == 302


def test_cart_events_are_signed_and_non_blocking(php: str) -> None:
    payload = {"cart_token": "ab" * 16, "phone": "+34600000000", "first_name": "João",
               "restore_url": "http://shop.test/?storechat_restore=x",
               "items": [{"name": "Tee", "quantity": 1, "price": "9.50"}]}
    decoded = f"json_decode({json.dumps(json.dumps(payload))}, true)"
    code = f"storechat_send_event('cart.updated', {decoded});"
    _, calls = _wordpress(php, code, CONNECTED)
    url, args = next(args for name, args in calls if name == "wp_remote_post")
    assert url == "http://127.0.0.1:8000/webhooks/woocommerce/storeKey_1"
    assert args["blocking"] is False and 0 < args["timeout"] <= 5
    headers = args["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-StoreChat-Topic"] == "cart.updated"
    body = args["body"].encode()
    sent = json.loads(body)
    assert sent.pop("updated_at") and sent == payload
    assert verify_base64_hmac([SECRET.encode()], body, headers["X-StoreChat-Hmac-Sha256"])
    assert not verify_base64_hmac([SECRET.encode()], body.replace(b"9.50", b"1.00"),
                                  headers["X-StoreChat-Hmac-Sha256"])


@pytest.mark.parametrize("wp_version", ["6.2", "6.5"])
def test_widget_is_deferred_and_tagged_with_the_store(php: str, wp_version: str) -> None:
    tag = "<script src='http://127.0.0.1:8000/widget.js?ver=1.1.0' id='storechat-widget-js'></script>"
    code = (f"$GLOBALS['wp_version'] = '{wp_version}'; storechat_enqueue_widget();"
            f"echo storechat_widget_tag({json.dumps(tag)}, 'storechat-widget');")
    tag, calls = _wordpress(php, code, CONNECTED)
    handle, src, deps, version, args = next(a for name, a in calls if name == "wp_enqueue_script")
    assert (handle, src, deps) == ("storechat-widget", "http://127.0.0.1:8000/widget.js", [])
    assert version == "1.1.0"  # becomes ?ver=1.1.0
    if wp_version == "6.5":
        assert args == {"strategy": "defer", "in_footer": True} and " defer" not in tag
    else:
        assert args is True and " defer" in tag
    assert 'data-store="storeKey_1"' in tag


def test_no_widget_until_connected(php: str) -> None:
    _, calls = _wordpress(php, "storechat_enqueue_widget();")
    assert not any(name == "wp_enqueue_script" for name, _ in calls)


# A shopper's session, cart and customer, as WooCommerce hands them to the plugin.
WOOCOMMERCE_STUBS = r"""
class WC_Product {
    public $name; public $title; public $image_id;
    function __construct($name, $title = '', $image_id = 0) { $this->name = $name; $this->title = $title ?: $name; $this->image_id = $image_id; }
    function get_name() { return $this->name; }
    function get_title() { return $this->title; }  // a variation's is its parent's name
    function get_image_id() { return $this->image_id; }  // a variation without one has its parent's
}
class StubSession {
    public $data = array();
    function get($key, $default = null) { return $this->data[$key] ?? $default; }
    function set($key, $value) { $this->data[$key] = $value; }
    function __unset($key) { unset($this->data[$key]); }
    function set_customer_session_cookie($set) {}
}
class StubCart {
    public $items = array(); public $coupons = array();
    function get_cart() { return $this->items; }
    function is_empty() { return !$this->items; }
    function display_prices_including_tax() { return true; }
    function get_total($context) { return array_sum(array_map(function ($i) { return $i['line_subtotal'] + $i['line_subtotal_tax']; }, $this->items)); }
    function empty_cart() { $this->items = array(); }
    function add_to_cart($product_id, $quantity, $variation_id, $variation) { storechat_test_call('add_to_cart', array($product_id, $quantity, $variation_id, $variation)); return 'key'; }
    function has_discount($code) { return in_array($code, $this->coupons, true); }
    function apply_coupon($code) { storechat_test_call('apply_coupon', array($code)); $this->coupons[] = $code; return true; }
}
class WC_Customer {}
class StubCustomer extends WC_Customer {
    function get_billing_phone() { return ''; } function get_billing_email() { return 'known@example.com'; }
    function get_billing_first_name() { return ''; } function get_billing_last_name() { return ''; }
    function get_billing_country() { return 'ES'; }
    function __call($name, $args) { storechat_test_call('customer', array($name, $args)); }
}
class WP_Error {}
// The store's coupons by code: {"id": int, "valid": bool} (expired, used up... is not valid).
$GLOBALS['coupons'] = array();
class WC_Coupon {
    public $code; function __construct($code) { $this->code = $code; }
    function get_id() { return $GLOBALS['coupons'][$this->code]['id'] ?? 0; }
}
class WC_Discounts {
    function __construct($cart) {}
    function is_coupon_valid($coupon) { return ($GLOBALS['coupons'][$coupon->code]['valid'] ?? false) ? true : new WP_Error(); }
}
function wc_format_coupon_code($code) { return strtolower(trim(html_entity_decode($code))); }
function sanitize_key($key) { return preg_replace('/[^a-z0-9_\-]/', '', strtolower($key)); }
function wc_get_checkout_url() { return 'http://shop.test/checkout/'; }
function wc_get_cart_url() { return 'http://shop.test/cart/'; }
// WooCommerce's own formatter, flat and without names: term slugs read as their names.
function wc_get_formatted_variation($variation, $flat, $include_names) {
    $terms = array('blue' => 'Blue', 'm' => 'M');
    return implode(', ', array_filter(array_map(function ($v) use ($terms) { return $terms[$v] ?? rawurldecode($v); }, $variation), 'strlen'));
}
$GLOBALS['images'] = array(31 => 'https://shop.test/wp-content/uploads/tee-blue-600x600.jpg', 32 => 'http://shop.test/wp-content/uploads/cap.jpg');
function wp_get_attachment_image_url($id, $size) { storechat_test_call('image_size', array($size)); return $GLOBALS['images'][$id] ?? false; }
$GLOBALS['wc'] = (object) array(
    'session' => new StubSession(), 'cart' => new StubCart(), 'customer' => new StubCustomer());
function WC() { return $GLOBALS['wc']; }
function wc_get_price_decimals() { return 2; }
function wc_format_decimal($n, $d) { return number_format((float) $n, $d, '.', ''); }
function get_woocommerce_currency() { return 'EUR'; }
function determine_locale() { return 'es_ES'; }
function home_url($path) { return 'http://shop.test' . $path; }
function add_query_arg($key, $value, $url) { return $url . '?' . $key . '=' . $value; }
function wp_strip_all_tags($text) { return strip_tags($text); }
function wc_sanitize_phone_number($phone) { return preg_replace('/[^\d+]/', '', $phone); }
function sanitize_email($email) { return filter_var($email, FILTER_SANITIZE_EMAIL); }
function storechat_test_add_item($name, $quantity, $line) {
    WC()->cart->items[] = array(
        'data' => new WC_Product($name), 'quantity' => $quantity, 'product_id' => 7,
        'variation_id' => 0, 'variation' => array(), 'line_subtotal' => $line, 'line_subtotal_tax' => 0);
}
function storechat_test_add_variation($name, $title, $attributes, $image_id) {
    WC()->cart->items[] = array(
        'data' => new WC_Product($name, $title, $image_id), 'quantity' => 1, 'product_id' => 40,
        'variation_id' => 41, 'variation' => $attributes, 'line_subtotal' => 25, 'line_subtotal_tax' => 0);
}
"""


def _sent_events(calls: list) -> list[tuple[str, dict]]:
    events = []
    for name, args in calls:
        if name == "wp_remote_post":
            headers, body = args[1]["headers"], args[1]["body"].encode()
            assert verify_base64_hmac([SECRET.encode()], body, headers["X-StoreChat-Hmac-Sha256"])
            events.append((headers["X-StoreChat-Topic"], json.loads(body)))
    return events


def test_checkout_details_send_one_signed_event_per_change(php: str) -> None:
    code = WOOCOMMERCE_STUBS + (
        "storechat_test_add_item('Tee <b>XL</b>', 2, 19);"
        "storechat_cart_changed(); storechat_flush_event();"  # no phone yet: nothing to send
        "storechat_classic_order_review('billing_phone=%2B34+600+000+000&billing_first_name=Ana'"
        " . '&billing_country=es&storechat_marketing_optin=1');"
        "storechat_cart_changed();"  # within one request, checkout.updated wins
        "storechat_flush_event(); storechat_flush_event();"  # the same event twice: sent once
        "storechat_pending_event('cart.updated'); storechat_flush_event();"  # nothing new
        "storechat_classic_order_review('billing_phone=%2B34600000000');"  # box now unticked
        "storechat_flush_event();"
        "storechat_forget_cart(); WC()->cart->items = array();"  # the order is placed
        "storechat_cart_changed(); storechat_flush_event();"
        "storechat_test_add_item('Cap', 1, 5); storechat_cart_changed(); storechat_flush_event();"
    )
    _, calls = _wordpress(php, code, CONNECTED)
    events = _sent_events(calls)
    assert [topic for topic, _ in events] == ["checkout.updated"] * 3 + ["cart.updated"]
    first = events[0][1]
    token = first["cart_token"]
    assert re.fullmatch(r"[a-f0-9]{32}", token)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.pop("updated_at"))
    assert first == {
        "cart_token": token, "customer_id": 1, "phone": "+34600000000",
        "email": "known@example.com", "first_name": "Ana", "last_name": "", "country": "ES",
        "locale": "es_ES", "currency": "EUR", "total": "19.00",
        "items": [{"name": "Tee XL", "quantity": 2, "price": "9.50", "product_id": 7,
                   "variation_id": 0}],
        "restore_url": f"http://shop.test/?storechat_restore={token}", "completed": False,
        "consent": {"marketing": True, "text": first["consent"]["text"]},
    }
    assert "WhatsApp" in first["consent"]["text"]
    assert events[1][1]["consent"]["marketing"] is False
    placed = events[2][1]
    assert (placed["cart_token"], placed["completed"]) == (token, True)
    following = events[3][1]
    assert following["cart_token"] != token and following["completed"] is False
    assert following["items"] == [{"name": "Cap", "quantity": 1, "price": "5.00",
                                   "product_id": 7, "variation_id": 0}]
    restorable = [args for name, args in calls if name == "set_transient"]
    assert restorable[0][0] == f"storechat_cart_{token}"
    for topic, payload in events:  # the adapter reads every event the plugin sends
        body = json.dumps(payload).encode()
        event = webhooks.parse_event(topic, body)
        assert event is not None and event.checkout_id == payload["cart_token"]
        assert event.completed is payload["completed"]
    consent = webhooks.cart_consent(json.dumps(first).encode())
    assert consent is not None and consent.source == first["consent"]["text"]
    assert restorable[0][1]["items"][0]["product_id"] == 7


def test_consent_is_left_out_until_the_box_was_shown(php: str) -> None:
    code = WOOCOMMERCE_STUBS + (
        "storechat_test_add_item('Tee', 1, 5);"
        "storechat_block_update_customer(new class extends StubCustomer {"
        " function get_billing_phone() { return '+351 912 345 678'; } });"
        "storechat_flush_event();"
        "storechat_block_field_value('storechat/marketing-optin', true, 'other', null);"
        "storechat_flush_event();")
    events = _sent_events(_wordpress(php, code, CONNECTED)[1])
    assert [topic for topic, _ in events] == ["checkout.updated", "checkout.updated"]
    assert "consent" not in events[0][1] and events[0][1]["phone"] == "+351912345678"
    assert events[1][1]["consent"]["marketing"] is True


def test_no_events_when_not_connected(php: str) -> None:
    code = WOOCOMMERCE_STUBS + (
        "storechat_test_add_item('Tee', 1, 5);"
        "storechat_classic_order_review('billing_phone=%2B34600000000&storechat_marketing_optin=1');"
        "storechat_flush_event();")
    _, calls = _wordpress(php, code)
    assert _sent_events(calls) == []


def test_cart_lines_name_the_product_variation_and_image(php: str) -> None:
    code = WOOCOMMERCE_STUBS + (
        "storechat_test_add_variation('Linen shirt - Blue, M', 'Linen shirt',"
        " array('attribute_pa_color' => 'blue', 'attribute_pa_size' => 'm'), 31);"
        "storechat_test_add_variation('Cap - Red', 'Cap', array('attribute_colour' => 'Red'), 32);"
        "storechat_test_add_item('Tote', 1, 9);"
        "storechat_classic_order_review('billing_phone=%2B34600000000');"
        "storechat_flush_event();")
    _, calls = _wordpress(php, code, CONNECTED)
    [(topic, payload)] = _sent_events(calls)
    shirt, cap, tote = payload["items"]
    assert shirt == {"name": "Linen shirt", "quantity": 1, "price": "25.00", "product_id": 40,
                     "variation_id": 41, "variant_title": "Blue, M",
                     "image_url": "https://shop.test/wp-content/uploads/tee-blue-600x600.jpg"}
    # An image WhatsApp could not fetch (not https) is left out, not sent half-usable.
    assert cap == {"name": "Cap", "quantity": 1, "price": "25.00", "product_id": 40,
                   "variation_id": 41, "variant_title": "Red"}
    assert tote == {"name": "Tote", "quantity": 1, "price": "9.00", "product_id": 7,
                    "variation_id": 0}
    assert {args[0] for name, args in calls if name == "image_size"} == {"woocommerce_single"}
    # What StoreChat reads of it: the variant named apart from the product, and its image.
    event = webhooks.parse_event(topic, json.dumps(payload).encode())
    assert event is not None
    first = event.line_items[0]
    assert (first.title, first.variant_title, first.product_id, first.variant_id) == (
        "Linen shirt", "Blue, M", "40", "41")
    assert first.image_url.endswith("tee-blue-600x600.jpg")
    assert (event.line_items[2].variant_id, event.line_items[2].image_url) == ("", "")


RESTORE_TOKEN = "cd" * 16
SAVED_CART = {"items": [{"product_id": 40, "variation_id": 41,
                         "variation": {"attribute_pa_size": "m"}, "quantity": 2}],
              "contact": {"phone": "+34600000000", "first_name": "Ana"}}


def _restore(php: str, query: dict[str, str], coupons: dict[str, dict[str, object]],
             applied: tuple[str, ...] = ()) -> list:
    """Opens the restore link with `query` on a store with `coupons`; returns the calls."""
    code = WOOCOMMERCE_STUBS + (
        f"$GLOBALS['transients'] = array('storechat_cart_{RESTORE_TOKEN}' =>"
        f" json_decode({json.dumps(json.dumps(SAVED_CART))}, true));"
        f"$GLOBALS['coupons'] = json_decode({json.dumps(json.dumps(coupons))}, true);"
        f"WC()->cart->coupons = json_decode({json.dumps(json.dumps(list(applied)))}, true);"
        f"$_GET = json_decode({json.dumps(json.dumps(query))}, true);"
        "storechat_restore_cart();")
    return _wordpress(php, code, CONNECTED)[1]


def _called(calls: list, name: str) -> list:
    return [args for call, args in calls if call == name]


def test_restore_link_refills_the_cart_and_applies_a_valid_coupon(php: str) -> None:
    calls = _restore(php, {"storechat_restore": RESTORE_TOKEN, "coupon": " SC-7KQ2XM4PZT "},
                     {"sc-7kq2xm4pzt": {"id": 12, "valid": True}})
    assert _called(calls, "add_to_cart") == [[40, 2, 41, {"attribute_pa_size": "m"}]]
    assert _called(calls, "apply_coupon") == [["sc-7kq2xm4pzt"]]
    assert _called(calls, "wp_safe_redirect") == [["http://shop.test/checkout/"]]


@pytest.mark.parametrize(("query", "coupons", "applied"), [
    ({}, {"sc-1": {"id": 12, "valid": True}}, ()),  # a step without a discount
    ({"coupon": "SC-UNKNOWN"}, {"sc-1": {"id": 12, "valid": True}}, ()),
    ({"coupon": "SC-1"}, {"sc-1": {"id": 12, "valid": False}}, ()),  # expired or used up
    ({"coupon": "SC-1"}, {"sc-1": {"id": 12, "valid": True}}, ("sc-1",)),  # applied already
    ({"coupon": ""}, {"": {"id": 12, "valid": True}}, ()),
    ({"coupon": "SC-" + "X" * 80}, {"sc-" + "x" * 80: {"id": 12, "valid": True}}, ()),
], ids=["none", "unknown", "invalid", "already", "empty", "too-long"])
def test_restore_link_leaves_the_cart_alone_for_any_other_coupon(
        php: str, query: dict[str, str], coupons: dict[str, dict[str, object]],
        applied: tuple[str, ...]) -> None:
    calls = _restore(php, {"storechat_restore": RESTORE_TOKEN, **query}, coupons, applied)
    assert _called(calls, "add_to_cart")  # the cart itself is restored
    assert _called(calls, "apply_coupon") == []
    assert _called(calls, "wp_safe_redirect") == [["http://shop.test/checkout/"]]


def test_a_coupon_on_a_forgotten_cart_is_not_applied(php: str) -> None:
    calls = _restore(php, {"storechat_restore": "ef" * 16, "coupon": "SC-1"},
                     {"sc-1": {"id": 12, "valid": True}})
    assert _called(calls, "add_to_cart") == [] and _called(calls, "apply_coupon") == []
    assert _called(calls, "wp_safe_redirect") == [["http://shop.test/cart/"]]
