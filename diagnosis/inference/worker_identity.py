"""Who classifies an image now: the name a worker process writes on the images it claims, and whether the holder
of a claim is known to be dead (so that its claim need not wait to lapse)."""

import os
import socket
from functools import cache
from pathlib import Path


@cache
def _machine() -> str:
    """This host, boot and PID namespace: a pid names one process only within all three (two containers may share
    a host name, a reboot reuses pids)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return f"{socket.gethostname()}/?"  # no /proc: only the claim's lapse frees it
    return f"{socket.gethostname()}/{boot}/{namespace}"


def worker_name() -> str:
    """This process (a prefork pool process has its own pid): the name written on its claims."""
    return f"{_machine()}/{os.getpid()}"


def worker_gone(name: str) -> bool:
    """True only when `name` is a process of this machine, boot and PID namespace that no longer runs (killed,
    or a zombie not yet reaped). Anything else (another machine, a reused pid) counts as alive: its claim lapses
    with time instead."""
    machine, _, pid = name.rpartition("/")
    if machine != _machine() or machine.endswith("/?") or not pid.isdigit():
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
