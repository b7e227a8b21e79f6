"""Create the demo store in the configured database; print its key and webhook secret as JSON.

Run by the benchmark as `python -m bench.demo_store` with the same environment as gunicorn.
"""
from __future__ import annotations

import json

from plugin import create_app
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.platforms import stores


def main() -> None:
    """Get or create the demo store in an app context and print {"key", "secret"}."""
    app = create_app()
    with app.app_context():
        with db.transaction() as session:
            store = demo_store.get_or_create(session)
        print(json.dumps({"key": store.key, "secret": stores.webhook_secret(store).decode()}))
    app.extensions["storechat.engine"].dispose()


if __name__ == "__main__":
    main()
