"""Production settings (`HMS_ENV=production`): Django's deployment checklist passes, a missing
secret key stops the start, and the protections a hospital relies on are switched on."""

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from hms.settings import DEVELOPMENT_SECRET_KEY
from tests.factories import UserFactory
from tests.hms.production import BASE_DIR, HOST, OVERRIDES, manage, production_env

SETTINGS_FILE = BASE_DIR / "hms" / "settings.py"
PASSWORD = "correct-horse-battery"  # UserFactory's default


def load_production_settings(monkeypatch, **extra: str) -> ModuleType:
    """hms/settings.py evaluated afresh under a production environment (the settings of this
    test process stay as they are)."""
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    for name, value in production_env(**extra).items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("hms_production_settings", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def production(settings, monkeypatch, collected_static: Path) -> ModuleType:
    """Switches this process to the production settings, for requests through the test client:
    the manifest storage over the files `collectstatic` collected. DATABASES stays (the test
    database)."""
    prod = load_production_settings(monkeypatch, HMS_STATIC_ROOT=str(collected_static))
    for name in dir(prod):
        if not name.isupper() or name == "DATABASES":
            continue
        value = getattr(prod, name)
        if getattr(django_settings, name, object()) != value:
            setattr(settings, name, value)
    return prod


def https_client() -> Client:
    """A browser on https://hms.example.org that sends CSRF tokens like a real one."""
    return Client(
        enforce_csrf_checks=True,
        HTTP_HOST=HOST,
        headers={"Origin": f"https://{HOST}"},
    )


def post_login_form(client: Client, username: str, password: str):
    form = client.get("/accounts/login/", secure=True)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert token, "the login page has no CSRF token"
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        secure=True,
    )


def test_it_passes_the_deployment_checklist_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "WARNING" not in output and "?: (" not in output, output


UNSAFE = [
    pytest.param("DJANGO_SECRET_KEY", None, "Set DJANGO_SECRET_KEY", id="no secret key"),
    pytest.param("DJANGO_SECRET_KEY", "", "Set DJANGO_SECRET_KEY", id="empty secret key"),
    pytest.param("DJANGO_SECRET_KEY", "abc", "too short", id="three-letter secret key"),
    pytest.param("DJANGO_SECRET_KEY", "x" * 49, "too short", id="49-character secret key"),
    pytest.param("DJANGO_SECRET_KEY", "ab" * 40, "too simple", id="two-letter secret key"),
    pytest.param(
        "DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY, "published", id="development secret key"
    ),
    pytest.param(
        "DJANGO_SECRET_KEY", "django-insecure-" + "k3y" * 20, "published", id="startproject key"
    ),
    pytest.param("DJANGO_DEBUG", "true", "DJANGO_DEBUG is true", id="debug on"),
    pytest.param("DJANGO_DEBUG", "1", "DJANGO_DEBUG is true", id="debug 1"),
    pytest.param("DJANGO_ALLOWED_HOSTS", None, "Set DJANGO_ALLOWED_HOSTS", id="no hosts"),
    pytest.param("DJANGO_ALLOWED_HOSTS", " , ", "Set DJANGO_ALLOWED_HOSTS", id="blank hosts"),
]


@pytest.mark.parametrize(("variable", "value", "message"), UNSAFE)
def test_it_refuses_to_start_in_production_with_an_unsafe_setting(variable, value, message):
    env = production_env()
    if value is None:
        del env[variable]
    else:
        env[variable] = value

    result = manage("check", env=env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert variable in last_line and message in last_line, last_line


def test_it_switches_on_the_protections_in_production(monkeypatch):
    prod = load_production_settings(monkeypatch)

    assert prod.DEBUG is False
    assert prod.SESSION_COOKIE_SECURE is True
    assert prod.CSRF_COOKIE_SECURE is True
    assert prod.SESSION_COOKIE_HTTPONLY is True
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS >= 31_536_000
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    # Thirty minutes without a request end the session; requests restart the clock (the
    # session is written at most once a minute: tests/core/test_session_refresh.py).
    assert prod.SESSION_COOKIE_AGE == 1800
    assert "core.session_refresh.SessionRefreshMiddleware" in prod.MIDDLEWARE


def test_it_sends_a_csp_without_inline_script_and_hsts_on_the_login_page(db, production):
    response = https_client().get("/accounts/login/", secure=True)

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert "'self'" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_it_redirects_plain_http_to_https(db, production):
    response = Client(HTTP_HOST=HOST).get("/accounts/login/")

    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/"


def test_it_ends_the_session_after_thirty_idle_minutes(db, production):
    UserFactory(username="frontdesk")
    client = https_client()

    response = post_login_form(client, "frontdesk", PASSWORD)

    assert response.status_code == 302
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    idle = (session.expire_date - timezone.now()).total_seconds()
    assert 1790 <= idle <= 1800
    assert client.cookies["sessionid"]["secure"] is True


def test_it_locks_the_login_after_too_many_wrong_passwords(db, production):
    UserFactory(username="frontdesk")
    client = https_client()

    for _ in range(production.AXES_FAILURE_LIMIT):
        response = post_login_form(client, "frontdesk", "wrong-password")
        assert "_auth_user_id" not in client.session
    response = post_login_form(client, "frontdesk", PASSWORD)

    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_it_lets_the_right_password_in_below_the_failure_limit(db, production):
    UserFactory(username="frontdesk")
    client = https_client()

    for _ in range(production.AXES_FAILURE_LIMIT - 1):
        post_login_form(client, "frontdesk", "wrong-password")
    response = post_login_form(client, "frontdesk", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_it_gives_passkeys_the_sites_host_name_as_relying_party(monkeypatch):
    prod = load_production_settings(monkeypatch, DJANGO_ALLOWED_HOSTS=f"10.0.0.7,{HOST}")

    assert prod.OTP_WEBAUTHN_RP_ID == HOST  # the address is skipped: WebAuthn refuses it
    assert prod.OTP_WEBAUTHN_ALLOWED_ORIGINS == [f"https://{HOST}"]
    assert prod.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False  # always after the password
    other = load_production_settings(monkeypatch, HMS_WEBAUTHN_RP_ID="Example.org")
    assert other.OTP_WEBAUTHN_RP_ID == "example.org"


def test_it_refuses_to_start_with_a_relying_party_that_is_not_a_host_name(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="HMS_WEBAUTHN_RP_ID"):
        load_production_settings(monkeypatch, HMS_WEBAUTHN_RP_ID=f"https://{HOST}:8443")


def test_it_documents_every_setting_variable_in_env_example():
    source = SETTINGS_FILE.read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', source))
    documented = set(
        re.findall(r"^#? ?([A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )

    assert read, "found no env_* calls in hms/settings.py"
    assert read - documented == set(), "add these to .env.example"
