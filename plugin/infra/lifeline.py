"""Children that die with their parent, so a `kill -9` of a supervisor leaves no orphans.

Linux's PR_SET_PDEATHSIG asks the kernel to signal a process when its parent dies; it
survives exec, so it can be set between fork and exec (Popen's preexec_fn) or right after a
fork (gunicorn's post_fork). Elsewhere (macOS development) it does nothing.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

# From <linux/prctl.h>.
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send `signum` to this process when `parent_pid`, its parent, dies.

    If the parent died before the request was made, no signal will ever come: exit now.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent_pid:
        os._exit(1)  # between fork and exec, or before a worker's handlers: leave quietly
