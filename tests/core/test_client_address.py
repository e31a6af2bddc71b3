"""Client addresses (audit log, login lockout) come from the connection, or from the header
the hospital's proxy sets when HMS_TRUSTED_PROXY_HEADER names it: never from a header a
client writes itself (core.audit.client_ip)."""

import importlib.util
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from core.audit import client_ip
from core.models import AuditEvent

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "hms" / "settings.py"
PROXY = "10.0.0.2"  # the hospital's proxy, as the application sees it


def request(**meta):
    return RequestFactory().get("/", REMOTE_ADDR=PROXY, **meta)


def test_it_ignores_a_forwarded_for_header_by_default():
    sent = request(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_X_REAL_IP="203.0.113.8")

    assert client_ip(sent) == PROXY


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ("192.0.2.10", "192.0.2.10"),
        # A client's own X-Forwarded-For stands left of what the proxy appends.
        ("203.0.113.9, 192.0.2.10", "192.0.2.10"),
        ("203.0.113.9,192.0.2.10 ", "192.0.2.10"),
        ("192.0.2.10:51234", "192.0.2.10"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
    ],
)
def test_it_takes_the_right_most_address_of_the_configured_header(settings, header, address):
    settings.HMS_TRUSTED_PROXY_HEADER = "X-Forwarded-For"

    assert client_ip(request(HTTP_X_FORWARDED_FOR=header)) == address


@pytest.mark.parametrize("header", [None, "", "unknown", "203.0.113.9, not-an-address"])
def test_it_falls_back_to_the_connection_without_a_usable_header(settings, header):
    settings.HMS_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    meta = {} if header is None else {"HTTP_X_FORWARDED_FOR": header}

    assert client_ip(request(**meta)) == PROXY


def test_it_reads_only_the_header_it_is_told(settings):
    settings.HMS_TRUSTED_PROXY_HEADER = "X-Real-IP"

    sent = request(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_X_REAL_IP="192.0.2.10")

    assert client_ip(sent) == "192.0.2.10"


def failed_login(client, **meta):
    client.post(reverse("login"), {"username": "frontdesk", "password": "wrong"}, **meta)


@pytest.mark.django_db
def test_it_gives_the_audit_log_and_the_lockout_the_connections_address(client, front_desk):
    failed_login(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert AuditEvent.objects.get(action="login_failed").ip_address == PROXY
    assert AccessAttempt.objects.get().ip_address == PROXY


@pytest.mark.django_db
def test_it_gives_both_the_proxys_client_address_when_configured(client, front_desk, settings):
    settings.HMS_TRUSTED_PROXY_HEADER = "X-Forwarded-For"

    failed_login(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.10")

    assert AuditEvent.objects.get(action="login_failed").ip_address == "192.0.2.10"
    assert AccessAttempt.objects.get().ip_address == "192.0.2.10"


def test_it_refuses_a_setting_that_is_not_a_header_name(monkeypatch):
    monkeypatch.setenv("HMS_TRUSTED_PROXY_HEADER", "X-Forwarded-For: 1.2.3.4")
    spec = importlib.util.spec_from_file_location("hms_settings_proxy_header", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)

    with pytest.raises(ImproperlyConfigured, match="HMS_TRUSTED_PROXY_HEADER"):
        spec.loader.exec_module(module)
