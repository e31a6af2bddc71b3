"""`make run`'s last step: the development web server and one job worker, as one command.

    python -m hms.launcher 127.0.0.1:8000

Both start together; Ctrl-C (or SIGTERM) stops both, and when either stops by itself the other
is stopped too. Each child runs in a process group of its own, so that it gets exactly one
SIGINT from here (a worker takes a second one as "abort the running jobs"); a worker still
busy after GRACE_SECONDS is killed: its job's transaction rolls back, and the job shows as
interrupted until someone tries it again.

Without DATABASE_URL this process starts (or joins) the embedded PostgreSQL first and holds
it for the whole run, so both children share one server and it stops once, after them.
Production runs the two as separate services instead (README, "Background jobs").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# How long a child may take to stop after SIGINT before it is killed.
GRACE_SECONDS = 15


def _commands(address: str) -> dict[str, list[str]]:
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    return {
        "web": [*manage, "runserver", address],
        "worker": [*manage, "procrastinate", "worker", "--name", "dev-worker"],
    }


def _stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGINT to each child's process group (once), then wait; kill what outlives the grace."""
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"launcher: {name} did not stop within {GRACE_SECONDS} s; killing it.")
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def run(address: str) -> int:
    if not os.environ.get("DATABASE_URL"):
        from hms.embedded import ensure_server

        ensure_server()

    def terminate(signum, frame):
        raise KeyboardInterrupt

    # Started in the background by a shell, SIGINT arrives ignored, and an ignored signal stays
    # ignored in the children: take it back, so that here and in them Ctrl-C means stop.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    children = {
        name: subprocess.Popen(command, cwd=BASE_DIR, process_group=0)
        for name, command in _commands(address).items()
    }
    print(
        f"launcher: web server (pid {children['web'].pid}) and worker "
        f"(pid {children['worker'].pid}) started; Ctrl-C stops both."
    )
    returncode = 0
    try:
        while True:
            ended = [name for name, child in children.items() if child.poll() is not None]
            if ended:
                returncode = children[ended[0]].returncode or 1
                print(
                    f"launcher: {ended[0]} stopped (exit {children[ended[0]].returncode}); "
                    "stopping the rest."
                )
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nlauncher: stopping the web server and the worker...")
    finally:
        # Ctrl-C again while waiting would leave them behind: ignore it until they are gone.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop(children)
    return returncode


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m hms.launcher HOST:PORT", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(sys.argv[1]))
