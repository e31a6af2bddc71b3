"""How the project configures procrastinate's app (settings.PROCRASTINATE_ON_APP_READY)."""

from __future__ import annotations

import procrastinate

# Worker defaults. A worker writes a heartbeat every HEARTBEAT_SECONDS; one silent for
# STALLED_AFTER_SECONDS is dead, and the jobs it was running are stalled (jobs.services).
HEARTBEAT_SECONDS = 10.0
STALLED_AFTER_SECONDS = 30.0


def on_app_ready(app: procrastinate.App) -> None:
    """Called once procrastinate's Django app exists, in every process (web and worker)."""
    app.worker_defaults = {
        **app.worker_defaults,
        "update_heartbeat_interval": HEARTBEAT_SECONDS,
        "stalled_worker_timeout": STALLED_AFTER_SECONDS,
    }
