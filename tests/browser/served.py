"""Run `storechat serve` as a user runs it, and stop it as Ctrl-C does, for browser tests.

The server is the real one: `storechat db upgrade`, then `storechat serve` (gunicorn plus the
embedded Huey worker on SQLite) in a fresh folder, with no inline jobs. Also here, shared by
the browser tests: reading the links the server prints (first-run set-up, password reset),
a Chromium that may only reach 127.0.0.1 and records console errors, the first-run set-up
in that browser, and the checks that Ctrl-C stopped everything.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect, sync_playwright

from plugin.infra.serve import STOP_GRACE_SECONDS
from tests import conftest

# The server must answer /healthz within this long after `serve` starts.
START_TIMEOUT_SECONDS = 30
# After Ctrl-C, children get STOP_GRACE_SECONDS; everything must be gone a little after that.
STOP_TIMEOUT_SECONDS = STOP_GRACE_SECONDS + 10
# A clean stop takes a second or two; gunicorn only SIGKILLs a stuck worker after its
# --graceful-timeout (10 s), so a stop this slow means something hung.
STOP_EXPECTED_SECONDS = 8
# A line the server prints (a set-up or reset link) must be in its output within this long.
LOG_WAIT_SECONDS = 10
# Outside configuration must not leak into the server under test (e.g. a developer's .env
# exported into the shell, or STORECHAT_QUEUE_IMMEDIATE).
FOREIGN_PREFIXES = ("STORECHAT_", "WHATSAPP_", "SHOPIFY_", "FLASK_")


@dataclass
class Served:
    """A running `storechat serve`, and what its shutdown looked like."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    exit_code: int | None = None
    stop_seconds: float = 0.0
    leftovers: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        """Everything the server has printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_mark(self) -> int:
        """Where the output ends now: `wait_for_log(since=...)` then reads only what follows."""
        return self.log.stat().st_size if self.log.exists() else 0

    def wait_for_log(self, pattern: str, *, since: int = 0,
                     timeout: float = LOG_WAIT_SECONDS) -> re.Match[str]:
        """The last match of `pattern` in the output after byte `since`, waiting `timeout`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self.log.open("rb") as output:
                output.seek(since)
                text = output.read().decode(errors="replace")
            # Only whole lines: a line still being written could hold half a link.
            matches = list(regex.finditer(text[:text.rfind("\n") + 1]))
            if matches:
                return matches[-1]
            if self.process.poll() is not None:
                pytest.fail(f"storechat serve exited ({self.process.returncode}) before printing "
                            f"/{pattern}/:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"storechat serve did not print /{pattern}/ within {timeout}s:\n"
                            f"{self.log_tail()}")
            time.sleep(0.1)

    def setup_link(self) -> str:
        """The one-time set-up link `storechat serve` prints while no owner exists."""
        link = self.wait_for_log(r"(https?://\S+/setup\?token=[\w-]+)").group(1)
        assert link.startswith(f"{self.url}/setup?token="), link
        return link

    def reset_link(self, email: str, since: int) -> str:
        """The password-reset link for `email` logged after `since` (no mail server here)."""
        line = (rf"password reset link for {re.escape(email)} \(valid 1 hour, once\): "
                r"(https?://\S+)")
        link = self.wait_for_log(line, since=since).group(1)
        assert link.startswith(f"{self.url}/reset/"), link
        return link


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _processes() -> dict[tuple[int, str], tuple[int, str]]:
    """Every live process: (pid, start time) -> (parent pid, command line); zombies left out."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            raw = (entry / "cmdline").read_bytes()
            cmdline = raw.replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
        if fields[0] != "Z":
            table[(int(entry.name), fields[19])] = (int(fields[1]), cmdline.strip())
    return table


def process_tree(root: int) -> set[tuple[int, str]]:
    """`root` and every process descended from it (gunicorn runs in a group of its own)."""
    table = _processes()
    tree = {key for key in table if key[0] == root}
    grew = True
    while grew:
        pids = {pid for pid, _ in tree}
        children = {key for key, (ppid, _) in table.items() if ppid in pids} - tree
        tree |= children
        grew = bool(children)
    return tree


def still_running(processes: set[tuple[int, str]]) -> list[str]:
    """Which of these (pid, start time) processes still run, as 'pid command' lines."""
    table = _processes()
    return [f"{pid} {table[(pid, start)][1]}" for pid, start in sorted(processes)
            if (pid, start) in table]


def _environ(instance: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return {**inherited, **conftest.environ_for(instance), "PYTHONUNBUFFERED": "1"}


def _get(url: str) -> int:
    """GET on loopback, never through a proxy from the environment; the status code."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"storechat serve exited ({served.process.returncode}):\n"
                        f"{served.log_tail()}")
        try:
            if _get(f"{served.url}/healthz") == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT_SECONDS}s:\n"
                f"{served.log_tail()}")


def _stop(served: Served) -> None:
    """Ctrl-C as a terminal sends it (SIGINT to the foreground group); record how it went."""
    started = time.monotonic()
    family = process_tree(served.process.pid)
    if served.process.poll() is None:
        os.killpg(served.process.pid, signal.SIGINT)  # serve leads its own session and group
    try:
        served.exit_code = served.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        served.exit_code = None
    served.stop_seconds = time.monotonic() - started
    # Children are stopped before the supervisor exits; give the kernel a moment to reap.
    deadline = time.monotonic() + 2
    served.leftovers = still_running(family)
    while served.leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        served.leftovers = still_running(family)
    for line in served.leftovers:  # never leak our own processes into the next test
        os.kill(int(line.split()[0]), signal.SIGKILL)
    if served.exit_code is None:
        served.process.wait(timeout=5)


@contextmanager
def storechat_serve(folder: Path) -> Iterator[Served]:
    """`storechat db upgrade` then `storechat serve` in `folder`; Ctrl-C on the way out."""
    instance = folder / "instance"
    environ = _environ(instance)
    upgrade = subprocess.run([sys.executable, "-m", "plugin.cli", "db", "upgrade"], cwd=folder,
                             env=environ, capture_output=True, text=True, timeout=60)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert "database upgraded" in upgrade.stdout

    port = _free_port()
    log = folder / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--port", str(port)], cwd=folder,
            env=environ, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    served = Served(process=process, port=port, log=log)
    try:
        _wait_healthy(served)
        yield served
    finally:
        _stop(served)


def assert_stopped_cleanly(served: Served) -> None:
    """Ctrl-C stopped `serve` with exit code 0, quickly, leaving no process and no listener."""
    assert served.exit_code == 0, f"storechat serve exited with {served.exit_code}:\n" \
                                  f"{served.log_tail()}"
    assert served.leftovers == [], "processes outlived Ctrl-C"
    assert served.stop_seconds < STOP_EXPECTED_SECONDS, f"Ctrl-C took {served.stop_seconds:.1f}s"
    assert not port_open(served.port), "the port still answers after Ctrl-C"
    assert "StoreChat stopped." in served.log_text()


# ---- Chromium ---------------------------------------------------------------------------

# Each browser wait (a page to load, a job to run, a poll to show it) gives up after this long.
WAIT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 860}
NARROW_VIEWPORT = {"width": 390, "height": 844}  # a phone
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-proxy-server"]


@dataclass
class Browsing:
    """A page in a Chromium that may only reach 127.0.0.1, and what it complained about."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in tests/artifacts/NAME.png."""
    page.screenshot(path=str(conftest.ARTIFACTS / f"{name}.png"), full_page=True)


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def sign_in(page: Page, url: str, email: str, password: str = conftest.PASSWORD) -> None:
    """Sign in through the sign-in form, as an owner types it."""
    page.goto(f"{url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@contextmanager
def chromium(chromium_path: str, failure_shot: str) -> Iterator[Browsing]:
    """A headless Chromium page; requests beyond 127.0.0.1 are refused and recorded.

    If the block fails, what the page showed is saved as `failure_shot`.png first.
    """
    conftest.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            outside: list[str] = []

            def loopback_only(route: Route) -> None:
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", loopback_only)  # before the first page asks for anything
            page = context.new_page()
            browsing = Browsing(page=page, outside=outside)

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    browsing.console_errors.append(
                        f"{message.text} ({message.location.get('url', '')})")

            page.set_default_timeout(WAIT_MS)
            # Assertions wait as long as actions: with one test process per core, a live
            # preview's answer can take longer than Playwright's 5-s default on a busy machine.
            expect.set_options(timeout=WAIT_MS)
            page.on("console", on_console)
            page.on("pageerror",
                    lambda error: browsing.console_errors.append(f"uncaught: {error}"))
            try:
                yield browsing
            except BaseException:  # pytest.fail() raises a BaseException too
                try:
                    shot(page, failure_shot)  # what the page showed when it failed
                except Exception:  # noqa: BLE001 - keep the original failure, not this one
                    pass
                raise
        finally:
            browser.close()


def set_up_owner(page: Page, served: Served, email: str, password: str, *,
                 screenshot: str | None = None) -> str:
    """First run: open the printed set-up link, create the owner, land on the admin home.

    Returns the set-up link; `screenshot` names a shot of the form before it is filled.
    """
    link = served.setup_link()
    page.goto(link)
    expect(page.get_by_role("heading", name="Create the owner account")).to_be_visible()
    if screenshot:
        shot(page, screenshot)
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{served.url}/")
    expect(page.locator(".flash")).to_contain_text("Your owner account is ready")
    expect(page.locator("header.topbar")).to_contain_text(email)
    return link
