"""WhatsApp Cloud API client: a thin layer over one shared httpx.Client.

The token is passed per call, so one client serves every store's number.
"""
from __future__ import annotations

from typing import Any

import httpx

from plugin.domain.errors import RetryableError, SendError, classify

# Meta answers sends in well under a second; past this the send is retried later.
SEND_TIMEOUT_SECONDS = 10.0


class CloudClient:
    """Calls the Graph API at `base_url` (a fake one in tests), pinned to `version`."""

    def __init__(self, http: httpx.Client, base_url: str, version: str) -> None:
        self._http = http
        self._base = f"{base_url.rstrip('/')}/{version}"

    def send_message(self, phone_number_id: str, token: str, payload: dict[str, Any]) -> str:
        """Send one message body; returns its wamid or raises a SendError subclass."""
        try:
            response = self._http.post(
                f"{self._base}/{phone_number_id}/messages",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                timeout=SEND_TIMEOUT_SECONDS,
            )
        except httpx.TimeoutException as exc:
            raise RetryableError(f"WhatsApp did not answer in time ({exc.__class__.__name__})")
        except httpx.TransportError as exc:
            raise RetryableError(f"could not reach WhatsApp ({exc.__class__.__name__})")
        body = _json(response)
        if response.is_success:
            try:
                return str(body["messages"][0]["id"])
            except (KeyError, IndexError, TypeError):
                raise RetryableError("WhatsApp accepted the message but returned no id") from None
        raise _error(response.status_code, body)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _error(status: int, body: Any) -> SendError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else None
    reason = details or error.get("message") or f"WhatsApp answered HTTP {status}"
    return classify(code, status, str(reason))
