"""Where the cores went during a measured run: wrk, gunicorn, PostgreSQL, the rest (Linux)."""
from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    """CPU seconds used so far: the machine, a server's process tree, PostgreSQL, our children."""

    wall: float
    machine: float
    server: float
    postgres: float
    children: float


@dataclass(frozen=True)
class Process:
    """One live process: its id, name, parent and CPU seconds so far."""

    pid: int
    name: str
    parent: int
    seconds: float


def machine_busy_seconds() -> float:
    """CPU seconds every core has spent busy since boot (from /proc/stat)."""
    fields = [int(value) for value in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICKS


def read_process(pid: int) -> Process | None:
    """A process from /proc/<pid>/stat, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    return Process(pid, name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)


def processes() -> list[Process]:
    """Every live process on the machine."""
    found = (read_process(int(entry.name)) for entry in PROC.iterdir() if entry.name.isdigit())
    return [process for process in found if process is not None]


def children_seconds() -> float:
    """CPU seconds used by this process's finished children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample(server_pid: int) -> Sample:
    """A Sample now, for the server whose master is `server_pid`."""
    server = postgres = 0.0
    for process in processes():
        if server_pid in (process.pid, process.parent):
            server += process.seconds
        elif process.name == "postgres":
            postgres += process.seconds
    return Sample(wall=time.monotonic(), machine=machine_busy_seconds(), server=server,
                  postgres=postgres, children=children_seconds())


def split(before: Sample, after: Sample) -> dict[str, float]:
    """How the cores were used between two samples, in CPU seconds."""
    wall = after.wall - before.wall
    wrk = after.children - before.children
    server = after.server - before.server
    postgres = after.postgres - before.postgres
    busy = after.machine - before.machine
    return {
        "wall_s": round(wall, 2),
        "capacity_s": round(wall * (os.cpu_count() or 1), 2),
        "wrk_s": round(wrk, 2),
        "gunicorn_s": round(server, 2),
        "postgres_s": round(postgres, 2),
        "other_processes_s": round(max(0.0, busy - wrk - server - postgres), 2),
    }
