"""The project's settings plus the bench-only URLs (the baseline view). Never used to serve
the hospital: `bench/frontdesk.py` starts gunicorn with it on the loopback only."""

from hms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
