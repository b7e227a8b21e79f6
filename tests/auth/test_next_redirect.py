"""After sign-in, `next` leads only to a path of this site, whatever it is dressed up as."""
from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.auth.next_url import same_site_path
from tests.conftest import PASSWORD, create_owner, csrf_token

HOME = "/"

# Each one, as a Location, leaves the site, breaks the header (a 500 before), or carries a
# control character that browsers drop: all go to the admin home.
HOSTILE = [
    "//evil.example/phish",
    "/\t/evil.example/phish",
    "\t//evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example/phish",
    "/x\r\nSet-Cookie: a=b",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "/\\/evil.example/phish",
    "\\/evil.example",
    "///evil.example/phish",
    " //evil.example/phish",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "https://evil.example/phish",
    "https:evil.example",
    "HTTPS://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example/phish",
    "@evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_values_go_home(app: Flask, client: FlaskClient, target: str) -> None:
    create_owner(app, "a@example.com")
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD,
                                            "next": target, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == HOME
    assert client.get("/").status_code == 200  # and the owner is signed in


def test_a_next_with_a_nul_is_refused_without_redirecting(app: Flask,
                                                          client: FlaskClient) -> None:
    """A NUL is refused in every request (plugin.infra.inputs), so it leads nowhere."""
    create_owner(app, "a@example.com")
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD,
                                            "next": "\x00//evil.example",
                                            "csrf_token": csrf_token(client)})
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("encoded", [
    "/%09/evil.example/phish", "%2F%2Fevil.example", "/%0a/evil.example", "/%0d%0a/evil",
    "%5C%5Cevil.example", "/%5C/evil.example", "%09//evil.example", "https%3A//evil.example",
])
def test_encoded_next_from_the_signin_link_goes_home(app: Flask, client: FlaskClient,
                                                     encoded: str) -> None:
    # The pentest's path: a link to /signin?next=…, whose form carries `next` to the POST.
    create_owner(app, "a@example.com")
    page = client.get(f"/signin?next={encoded}").get_data(as_text=True)
    field = re.search(r'name="next" value="([^"]*)"', page)
    assert field is not None
    carried = html.unescape(field.group(1))
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD,
                                            "next": carried, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == HOME


@pytest.mark.parametrize("target", [
    "/woocommerce/keys", "/stores/3/journeys?tab=cart#top", "/api/v1/x?next=//evil.example",
    "/caf%C3%A9",
])
def test_paths_of_this_site_are_kept(app: Flask, client: FlaskClient, target: str) -> None:
    create_owner(app, "a@example.com")
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD,
                                            "next": target, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", HOSTILE + [quote(t, safe="") for t in HOSTILE])
def test_same_site_path_never_yields_another_origin(target: str) -> None:
    path = same_site_path(target)
    if path is not None:
        parts = urlsplit(path)
        assert path.startswith("/") and not path.startswith(("//", "/\\"))
        assert (parts.scheme, parts.netloc) == ("", "")
        assert not any(ord(c) < 0x21 or ord(c) == 0x7f or c == "\\" for c in path)


def test_unicode_is_quoted_as_the_location_header_would_be() -> None:
    assert same_site_path("/café") == "/caf%C3%A9"
