"""Another process (a web worker, say) holding one machine-wide slot (dermplatform.slots) for a while: a real
flock on the slot's file, released by the kernel when the process ends or is killed."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

HOLDER = """
import fcntl, os, sys, time
handle = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def slot_hold(path: Path, seconds: float) -> subprocess.Popen:
    """Start the holder and return once it holds the slot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    if holder.stdout.readline().strip() != "held":
        raise RuntimeError("the slot holder did not start")
    return holder


@contextmanager
def slot_held(path: Path, seconds: float = 30):
    holder = slot_hold(path, seconds)
    try:
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
