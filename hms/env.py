"""Small strict helpers to read settings from the environment.

Every variable read here is listed in `.env.example`.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default if default is not None else ""
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def passkey_rp_id_from(allowed_hosts: list[str]) -> str:
    """The passkeys' default relying-party id: the first host name of ALLOWED_HOSTS (a leading
    dot dropped), skipping addresses and wildcards, which WebAuthn does not accept; with
    none, "localhost", where passkeys work in development only."""
    for host in allowed_hosts:
        name = host.strip().lstrip(".").lower()
        if not name or "*" in name or name.startswith("["):
            continue
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return name
    return "localhost"


# Django's own floor for a secret key (security.W009); a key from
# `secrets.token_urlsafe(64)` has 86 characters.
MIN_SECRET_KEY_LENGTH = 50
_MAKE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"


def require_safe_production(
    *, secret_key: str, published_keys: set[str], debug: bool, allowed_hosts: list[str]
) -> None:
    """Stop a production start whose settings would leave patients' data unprotected.

    Each message names the variable and what to do, since it is all the operator sees.
    """
    if not secret_key:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY: production needs a long random key of its own, "
            f"e.g. {_MAKE_KEY}."
        )
    if secret_key in published_keys or secret_key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is a published key (the development key in hms/settings.py, or "
            "one made by django-admin startproject), so anyone could forge sessions and "
            f"password-reset links: set a new random key, e.g. {_MAKE_KEY}."
        )
    if len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < 5:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too short or too simple ({len(secret_key)} characters, "
            f"{len(set(secret_key))} different); production needs at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters, e.g. {_MAKE_KEY}."
        )
    if debug:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is true: production never shows Django's debug pages (they show "
            "settings and patients' data to whoever causes an error). Unset DJANGO_DEBUG or set "
            "it to false."
        )
    if not allowed_hosts:
        raise ImproperlyConfigured(
            "Set DJANGO_ALLOWED_HOSTS to the host names the site answers to, comma-separated "
            "(e.g. hms.example.org): production refuses requests for any other host."
        )
