"""`python -m tests.services.engine_worker STORE_ID CAUSE`: a send engine process, as a
campaign worker runs it: send_pending in a loop until told to stop (or killed).

Configured by the STORECHAT_* environment like `storechat worker`; used by
test_send_engine_kill.py, which SIGKILLs some of these mid-run.
"""
from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from plugin import create_app
from plugin.pipeline.send_engine import send_pending

# Rows a worker asks for per call (a few batches), and its pause when nothing is due.
PER_CALL = 400
IDLE_SECONDS = 0.05

_stopping = False


def _stop(_signum: int, _frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def main(store_id: int, cause: str) -> None:
    """Send the cause's due messages until SIGTERM."""
    signal.signal(signal.SIGTERM, _stop)
    app = create_app()
    with app.app_context():
        while not _stopping:
            if send_pending(store_id=store_id, cause=cause, limit=PER_CALL) == 0:
                time.sleep(IDLE_SECONDS)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
