"""The fake Graph API as a WSGI app for gunicorn: the send benchmark's WhatsApp.

The same fake the tests use (tests/fakes/graph.py), knowing one phone number and its token.
"""
from __future__ import annotations

from tests.fakes.graph import FakeGraph

PHONE_NUMBER_ID = "109000000000001"
TOKEN = "bench-graph-token"

app = FakeGraph(tokens={PHONE_NUMBER_ID: TOKEN})
