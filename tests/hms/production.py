"""Running the project as production runs it: `HMS_ENV=production` in a child process.

The settings of the test process stay those of development; a child process gets the
production environment (a fresh secret key, the example host) and whatever a test adds.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "hms.example.org"
# Variables a developer's shell may carry that would change what production means here.
OVERRIDES = (
    # A web process never holds the owner's login (hms/dbroles.py).
    "DATABASE_OWNER_URL",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "HMS_SECURE_SSL_REDIRECT",
    "HMS_HSTS_SECONDS",
    "HMS_BEHIND_TLS_PROXY",
    "HMS_SESSION_IDLE_SECONDS",
    "HMS_LOGIN_FAILURE_LIMIT",
    "HMS_STATIC_ROOT",
    "HMS_WEBAUTHN_RP_ID",
    # Set by tests/e2e/conftest.py for Playwright; a deployment never has it (async.E001).
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
    env.update(
        HMS_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),  # 86 characters
        DJANGO_ALLOWED_HOSTS=HOST,
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return python("manage.py", *args, env=env)


def python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in the checkout, bounded in time so that a hang fails instead."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def database_url(connection) -> str:
    """A DATABASE_URL for the database `connection` uses now (in a test: the test database),
    whether it is the embedded server (a socket folder) or one named by DATABASE_URL."""
    params = connection.get_connection_params()
    user = quote(params.get("user") or "", safe="")
    password = quote(params.get("password") or "", safe="")
    host = quote(str(params.get("host") or ""), safe="")
    port = params.get("port") or ""
    name = quote(params["dbname"], safe="")
    return f"postgres://{user}:{password}@{host}{f':{port}' if port else ''}/{name}"
