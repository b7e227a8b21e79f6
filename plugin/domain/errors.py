"""Every error StoreChat raises on purpose, as one tree the callers can catch by branch.

    StoreChatError
    ├── PayloadError            a body that cannot be read as its source says (never retried)
    ├── ConfigError             a setting is missing or wrong; start-up stops and names it
    │   └── DecryptionError         plugin.infra.crypto: a stored secret the key cannot open
    ├── ConnectError            a store or number could not be connected; says why, to the owner
    │   ├── StoreConnectError       plugin.platforms.woocommerce.sites
    │   ├── NumberConnectError      plugin.platforms.whatsapp.number
    │   └── CatalogConnectError     plugin.platforms.whatsapp.catalog
    ├── RequestRefused          a person's request cannot be honoured; says why, to them
    │   ├── SignInError             plugin.auth.accounts, .invites: an owner account, a reset
    │   │                           link, an invitation, a sign-up
    │   │   └── LinkError               plugin.auth.wordpress: a WordPress sign-in link
    │   ├── StoreUrlError           plugin.platforms.woocommerce.urls: a store address
    │   ├── OptInRefused            widget.optin: a storefront opt-in form
    │   ├── ActionNotAllowed        plugin.demo.store: a demo order action out of turn
    │   ├── TokenRefused            plugin.auth.api_tokens: an API token cannot be made
    │   ├── DefinitionError         plugin.domain.segments: a segment definition, by field
    │   ├── CampaignRefused         plugin.domain.campaigns: a campaign that cannot be saved,
    │   │                           started or changed now, by field
    │   ├── ApiError                plugin.admin.api.problems: a public API call, answered
    │   │                           as a problem with a stable code
    │   └── InboxError              plugin.domain.inbox: a reply, note, tag, status or quick
    │                               reply the team inbox refuses
    └── ProviderError           an outside service failed or refused a request
        ├── ShopifyError            adapters.shopify.admin.AdminError (Unauthorized,
        │                           Throttled, Unavailable, QueryError; and
        │                           adapters.shopify.bulk: ExportRefused, ExportFileError),
        │                           plugin.platforms.shopify: TokenError, InstallError
        ├── WooCommerceError        adapters.woocommerce.client.WooError (Unauthorized,
        │                           Unavailable, RequestError)
        └── WhatsAppError
            ├── CatalogError        a catalog call failed (items_batch, batch status, listing,
            │   │                   connecting); `code` is Meta's
            │   ├── CatalogThrottled    Meta throttled it: wait `wait_seconds`, go on
            │   └── CatalogBatchRefused adapters.whatsapp.catalog: Meta took no item of a batch
            └── SendError           why a send did not work, as categories the pipeline acts on:
                ├── RetryableError      try again later (throttling, pair limit, 5xx, timeouts)
                │   └── MediaExpired        adapters.whatsapp.media_download: a media URL ran out
                ├── NeedsTemplateError  outside the 24-hour window: send a template instead
                ├── HeldError           Meta held it for the ecosystem; wait 24 h
                ├── AccountError        the access token is invalid; the owner must re-authorise
                └── PermanentError      will never work as it is (undeliverable, template errors)
                    ├── MessageLimitError   adapters.whatsapp.messages: a body over a limit
                    ├── MediaTooLarge       adapters.whatsapp.media_download: over the inbox's cap
                    └── TemplateRefused     adapters.whatsapp.errors: Meta refused a
                        │                   template submitted for review (name taken, …)
                        └── SampleRefused   …or its media header's sample file (upload)

Which provider code means which category is the adapter's knowledge, not the domain's:
adapters.whatsapp.errors declares each Graph error code on a subclass of these categories
and classifies a failed call. PayloadError and RequestRefused are also ValueErrors, as the
classes they replace were, so code that reads a value and catches ValueError keeps working.
"""
from __future__ import annotations


class StoreChatError(Exception):
    """The root: any error StoreChat raises on purpose."""


class PayloadError(StoreChatError, ValueError):
    """A body (webhook, stored event, callback) that cannot be read as its source says."""


class ConfigError(StoreChatError):
    """A setting is missing or invalid; the message names the variable."""


class ConnectError(StoreChatError):
    """A store or a WhatsApp number could not be connected; the message is for the owner."""


class StoreConnectError(ConnectError):
    """A store could not be connected (e.g. it belongs to another StoreChat account)."""


class NumberConnectError(ConnectError):
    """A WhatsApp number could not be connected, nothing saved; `message` is for the owner,
    `field` names the form field at fault ('' when it is none in particular)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CatalogConnectError(ConnectError):
    """A Meta catalog could not be connected or set up for a store; `message` is for the
    owner, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestRefused(StoreChatError, ValueError):
    """A person's request cannot be honoured as it is; the message says why, for them."""


class SignInError(RequestRefused):
    """An owner account, set-up link or reset link was refused."""


class ProviderError(StoreChatError):
    """An outside service (Shopify, WooCommerce, WhatsApp) failed or refused a request."""


class ShopifyError(ProviderError):
    """Shopify refused or failed: Admin API calls, access tokens, installs."""


class WooCommerceError(ProviderError):
    """A WooCommerce store's REST API refused or failed."""


class WhatsAppError(ProviderError):
    """The WhatsApp Cloud API refused or failed."""


class SendError(WhatsAppError):
    """A message could not be sent; `code` is the provider's error code when there is one,
    `subcode` its finer code (Meta's error_subcode) when it gave one."""

    def __init__(self, reason: str, code: int | None = None, *,
                 subcode: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode


class RetryableError(SendError):
    """A passing condition: the same request may work later."""


class NeedsTemplateError(SendError):
    """The 24-hour service window is closed: only a template may be sent."""


class HeldError(SendError):
    """Meta held the message (marketing cap or ecosystem protection); retry after 24 h."""


class AccountError(SendError):
    """The WhatsApp account's token is invalid or revoked; the owner must reconnect."""


class PermanentError(SendError):
    """The request will never succeed as it is."""


class CatalogError(WhatsAppError):
    """A catalog call (items_batch, batch status, item listing, connecting a catalog) failed;
    `code` is Meta's error code when there is one."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class CatalogThrottled(CatalogError):
    """Meta throttled the catalog's calls (codes 4, 17, 32, 613, 80001, 80004, 80014): wait
    `wait_seconds` (from X-Business-Use-Case-Usage when Meta says) and try again."""

    def __init__(self, reason: str, code: int | None = None, *,
                 wait_seconds: float = 60.0) -> None:
        super().__init__(reason, code)
        self.wait_seconds = wait_seconds
