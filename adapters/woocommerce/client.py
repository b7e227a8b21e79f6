"""WooCommerce REST v3: timeouts, retries, paging, auth fallback, and no redirects.

Errors, as a tree:

    WooError                 the call did not do what was asked
    ├── Unauthorized         401 in every auth mode: the keys were revoked (reconnect)
    ├── AddressRefused       the store redirects, or its address is one StoreChat must not
    │                        call (private, loopback, link-local: SSRF); reconnect
    ├── Unavailable          429, 5xx, timeouts, network errors after the retries
    └── RequestError         any other 4xx, or an answer that is not JSON (do not retry)

Authentication is WooCommerce's: HTTP Basic over https (or `consumer_key`/`consumer_secret`
in the query with `query_string_auth`), OAuth 1.0a signed query parameters over plain http,
signed by the `woocommerce` package. Some hosts strip the `Authorization` header before PHP
sees it, so a Basic 401 is retried once with query-string auth; `auth_mode_changed` then
tells the caller to remember it.

Every request goes through the `requests.Session` the caller gives (the package's own
`API` sends through a fresh session of its own, which could not be guarded): for a store
URL an owner typed, that is plugin.platforms.woocommerce.egress's, which checks the address
of every connection. Redirects are never followed: a 3xx could lead anywhere, carrying the
keys in its query, so it is an AddressRefused that names where the store points.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from woocommerce.oauth import OAuth

from plugin.domain.errors import WooCommerceError

# WooCommerce answers in well under a second, but a busy shared host can take many; the
# brief asks for 20–30 s, enough for a slow `system_status` without hanging a worker.
TIMEOUT_SECONDS = 25
# Attempts per call for 429, 5xx and network errors (1 + retries).
MAX_ATTEMPTS = 4
# Backoff between attempts: BASE × 2^attempt seconds, or the server's Retry-After.
BACKOFF_BASE_SECONDS = 1.0
# Never wait longer than this for one retry.
MAX_WAIT_SECONDS = 30.0
# WooCommerce refuses per_page above 100 (400 rest_invalid_param).
PER_PAGE = 100
USER_AGENT = "StoreChat (+https://github.com/storechat)"


class WooError(WooCommerceError):
    """A WooCommerce REST call failed; the message says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Unauthorized(WooError):
    """The store refused the keys in every auth mode we can use: they were revoked."""


class AddressRefused(WooError):
    """The store redirects elsewhere, or its address is private or local: not called."""


class Unavailable(WooError):
    """The store kept answering 429/5xx or did not answer at all."""


class RequestError(WooError):
    """The store refused the request (4xx) or answered something that is not JSON."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemStatus:
    """What StoreChat keeps from `GET system_status`."""

    wc_version: str
    currency: str
    site_url: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SystemStatus:
        """From the JSON of `system_status` (missing parts become "")."""
        environment = data.get("environment") or {}
        settings = data.get("settings") or {}
        return cls(wc_version=str(environment.get("version") or ""),
                   currency=str(settings.get("currency") or ""),
                   site_url=str(environment.get("site_url") or ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteInfo:
    """What WordPress's public REST index (`GET /wp-json/`) says about the site."""

    name: str
    timezone: str  # an IANA name, or a fixed offset such as "+02:00" when none is set

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteInfo:
        """From the JSON of `/wp-json/`."""
        zone = str(data.get("timezone_string") or "")
        if not zone:
            # Sites set to "UTC+2" have no timezone_string, only an offset in hours.
            try:
                hours = float(data.get("gmt_offset") or 0)
            except (TypeError, ValueError):
                hours = 0.0
            minutes = round(abs(hours) * 60)
            zone = f"{'-' if hours < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"
        return cls(name=str(data.get("name") or ""), timezone=zone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """A webhook as `GET webhooks` lists it (its secret is never shown)."""

    id: int
    topic: str
    status: str  # active | paused | disabled
    delivery_url: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Webhook:
        """From one element of `GET webhooks`."""
        return cls(id=int(data.get("id") or 0), topic=str(data.get("topic") or ""),
                   status=str(data.get("status") or ""),
                   delivery_url=str(data.get("delivery_url") or ""))


class WooClient:
    """One store's REST v3 API. Not thread-safe; make one per job."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *,
                 query_string_auth: bool = False, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url.rstrip("/")
        self._key = consumer_key
        self._secret = consumer_secret
        self._session = session or requests.Session()
        self._sleep = sleep
        self.query_string_auth = query_string_auth
        self.auth_mode_changed = False

    def close(self) -> None:
        """Close the connections this client holds open."""
        self._session.close()

    # --- calls -------------------------------------------------------------------------

    def get(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        """GET an endpoint's JSON."""
        return _json(self.request("GET", endpoint, params=params))

    def post(self, endpoint: str, data: dict[str, Any]) -> Any:
        """POST JSON; the created object."""
        return _json(self.request("POST", endpoint, data=data))

    def put(self, endpoint: str, data: dict[str, Any]) -> Any:
        """PUT JSON; the updated object."""
        return _json(self.request("PUT", endpoint, data=data))

    def delete(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        """DELETE (pass force=true to skip the trash)."""
        return _json(self.request("DELETE", endpoint, params=params))

    def pages(self, endpoint: str, params: dict[str, Any] | None = None,
              max_pages: int | None = None) -> Iterator[list[Any]]:
        """Each page of a list endpoint, `per_page=100`, until X-WP-TotalPages."""
        page = 1
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            response = self.request("GET", endpoint, params=query)
            items = _json(response)
            if not isinstance(items, list):
                raise RequestError(f"{endpoint} did not answer a list")
            yield items
            total_pages = _int(response.headers.get("X-WP-TotalPages"), default=page)
            if page >= total_pages or not items or (max_pages and page >= max_pages):
                return
            page += 1

    def get_all(self, endpoint: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a list endpoint, all pages."""
        return [item for page in self.pages(endpoint, params) for item in page]

    def system_status(self) -> SystemStatus:
        """The store's WooCommerce version, currency and timezone (proves the keys work)."""
        data = self.get("system_status")
        if not isinstance(data, dict):
            raise RequestError("system_status did not answer an object")
        return SystemStatus.from_dict(data)

    def site_info(self) -> SiteInfo:
        """The site's name and timezone from WordPress's public index (no auth needed)."""
        try:
            response = self._session.get(f"{self.url}/wp-json/", timeout=TIMEOUT_SECONDS,
                                         headers={"Accept": "application/json",
                                                  "User-Agent": USER_AGENT},
                                         allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout):
            raise Unavailable("the store's /wp-json/ did not answer") from None
        _refuse_redirect("/wp-json/", response)
        data = _json(response)
        return SiteInfo.from_dict(data if isinstance(data, dict) else {})

    def webhooks(self) -> list[Webhook]:
        """Every webhook of the store (ours and others')."""
        return [Webhook.from_dict(w) for w in self.get_all("webhooks") if isinstance(w, dict)]

    # --- the one place that talks to the network ---------------------------------------

    def request(self, method: str, endpoint: str, params: dict[str, Any] | None = None,
                data: dict[str, Any] | None = None) -> requests.Response:
        """Send with retries; on a Basic-auth 401 retry once with query-string auth."""
        response = self._with_retries(method, endpoint, params, data)
        if response.status_code == 401 and self.url.startswith("https://") \
                and not self.query_string_auth:
            # Hosts that strip `Authorization` make WooCommerce see no credentials at all.
            self.query_string_auth = True
            response = self._with_retries(method, endpoint, params, data)
            if response.status_code != 401:
                self.auth_mode_changed = True
            else:
                self.query_string_auth = False
        _refuse_redirect(endpoint, response)
        if response.status_code == 401:
            raise Unauthorized(f"{endpoint}: the store refused StoreChat's API keys "
                               f"({_message(response)})", 401)
        if response.status_code >= 400:
            raise RequestError(f"{endpoint}: {response.status_code} {_message(response)}",
                               response.status_code)
        return response

    def _with_retries(self, method: str, endpoint: str, params: dict[str, Any] | None,
                      data: dict[str, Any] | None) -> requests.Response:
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = self._send(method, endpoint, params, data)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last:
                    raise Unavailable(f"{endpoint}: the store did not answer "
                                      f"({error.__class__.__name__})") from None
                self._sleep(_backoff(attempt, None))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if last:
                    raise Unavailable(f"{endpoint}: {response.status_code} after "
                                      f"{MAX_ATTEMPTS} attempts", response.status_code)
                self._sleep(_backoff(attempt, response.headers.get("Retry-After")))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, endpoint: str, params: dict[str, Any] | None,
              data: dict[str, Any] | None) -> requests.Response:
        """One request, authenticated as the store's URL scheme and our auth mode demand."""
        url = f"{self.url}/wp-json/wc/v3/{endpoint}"
        query = dict(params or {})
        auth: tuple[str, str] | None = None
        if not self.url.startswith("https://"):
            # Plain http (test mode): OAuth 1.0a, the signature over the whole query.
            url = OAuth(url=f"{url}?{urlencode(query)}" if query else url,
                        consumer_key=self._key, consumer_secret=self._secret,
                        version="wc/v3", method=method).get_oauth_url()
            query = {}
        elif self.query_string_auth:
            query.update(consumer_key=self._key, consumer_secret=self._secret)
        else:
            auth = (self._key, self._secret)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        body = None
        if method in ("POST", "PUT"):
            body = json.dumps(data or {}, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        return self._session.request(method, url, params=query, data=body, auth=auth,
                                     headers=headers, timeout=TIMEOUT_SECONDS,
                                     allow_redirects=False)


def _refuse_redirect(endpoint: str, response: requests.Response) -> None:
    """AddressRefused for a 3xx: where it points is not checked, and it would get our keys."""
    if 300 <= response.status_code < 400:
        target = urlsplit(urljoin(response.url, response.headers.get("Location", "")))
        where = target.netloc or "another address"
        raise AddressRefused(f"The store redirects {endpoint} to {where}; StoreChat does not "
                             "follow redirects: connect the store at its final address.",
                             response.status_code)


def _backoff(attempt: int, retry_after: str | None) -> float:
    try:
        wait = float(retry_after) if retry_after else BACKOFF_BASE_SECONDS * 2 ** attempt
    except ValueError:
        wait = BACKOFF_BASE_SECONDS * 2 ** attempt
    return max(0.0, min(wait, MAX_WAIT_SECONDS))


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        # Security plugins and broken permalinks answer HTML with status 200.
        raise RequestError(f"the store answered {response.headers.get('Content-Type', '?')} "
                           "instead of JSON (is the REST API reachable at /wp-json/?)",
                           response.status_code) from None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no JSON body"
    if isinstance(body, dict):
        message = ": " + str(body["message"]) if body.get("message") else ""
        return str(body.get("code") or "") + message
    return ""


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
