"""The production settings serve the hospital: static files collected with the manifest
storage, DEBUG off, and a child process that runs as a deployment would (`HMS_ENV=production`,
behind the README's TLS proxy) logging in and fetching a report and an invoice PDF."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import roles
from tests.billing.factories import issued, visit
from tests.factories import PatientFactory, UserFactory
from tests.hms.production import HOST, database_url, production_env, python

PASSWORD = "a-long-production-password"

# Run in the child process: every step's answer, printed as JSON for the test to check.
VISIT = """
import json, re, sys
import django

django.setup()
from django.test import Client

username, password, invoice_pk, totp_key = sys.argv[1:]
# As the README's proxy forwards a browser's request: HTTPS, and the site's host name.
browser = Client(
    enforce_csrf_checks=True,
    headers={"Host": HOST, "X-Forwarded-Proto": "https", "Origin": f"https://{HOST}"},
)
seen = {}

def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content

# A load balancer's probe: plain HTTP straight to the application.
seen["healthz"] = Client(headers={"Host": HOST}).get("/healthz").status_code

login = browser.get("/accounts/login/")
page = body(login).decode()
seen["login page"] = login.status_code
css = re.search(r'href="(/static/vendor/bootstrap/bootstrap[^"]*\\.css)"', page)[1]
seen["stylesheet"] = [css, browser.get(css).status_code]
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
answer = browser.post(
    "/accounts/login/",
    {"username": username, "password": password, "csrfmiddlewaretoken": token},
)
seen["log in"] = [answer.status_code, answer.get("Location")]
# Administrators sign in with a second factor: the code of their authenticator app.
from django_otp.oath import totp

code_page = body(browser.get("/accounts/two-step/verify/")).decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', code_page)[1]
answer = browser.post(
    "/accounts/two-step/verify/",
    {"code": "%06d" % totp(bytes.fromhex(totp_key)), "csrfmiddlewaretoken": token},
)
seen["second factor"] = [answer.status_code, answer.get("Location")]

report = browser.get("/reports/revenue/")
seen["report"] = [report.status_code, "123.45" in body(report).decode()]
pdf = browser.get(f"/billing/invoices/{invoice_pk}/pdf/")
seen["invoice pdf"] = [pdf.status_code, pdf.get("Content-Type"), body(pdf)[:5].decode()]

missing = browser.get("/no-such-page/")
seen["missing page"] = [missing.status_code, b"URLconf" in body(missing)]
print(json.dumps(seen))
""".replace("HOST", repr(HOST))


def test_it_collects_the_static_files_with_the_production_storage(collected_static: Path):
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]

    for name in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        # The passkey pages' scripts (django-otp-webauthn's, and the project's own).
        "django_otp_webauthn/otp_webauthn_auth.js",
        "django_otp_webauthn/otp_webauthn_register.js",
        "accounts/passkeys.js",
    ):
        assert manifest[name] != name  # a hashed name, cached for a year by browsers
        assert (collected_static / manifest[name]).is_file()
        assert (collected_static / f"{manifest[name]}.gz").is_file()
    # The library's scripts name their source maps, which the manifest renames too.
    script = (collected_static / manifest["django_otp_webauthn/otp_webauthn_auth.js"]).read_text()
    source_map = manifest["django_otp_webauthn/otp_webauthn_auth.js.map"]
    assert f"sourceMappingURL={source_map.rsplit('/', 1)[1]}" in script


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_login_page_a_report_and_an_invoice_pdf_in_production(
    collected_static: Path,
):
    # Committed, so the child process sees them. The production hasher, not the suite's quick one.
    hasher = PBKDF2PasswordHasher()
    user = UserFactory(username="administrator", role=roles.ADMINISTRATOR)
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=user, name="Authenticator app")
    patient = PatientFactory()
    visit(patient, fee="123.45")
    invoice = issued(patient)
    env = production_env(
        DATABASE_URL=database_url(connection),
        HMS_STATIC_ROOT=str(collected_static),
        HMS_BEHIND_TLS_PROXY="true",
        DJANGO_SETTINGS_MODULE="hms.settings",
    )

    result = python("-c", VISIT, user.username, PASSWORD, str(invoice.pk), device.key, env=env)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    stylesheet, stylesheet_status = seen.pop("stylesheet")
    assert stylesheet.startswith("/static/vendor/bootstrap/bootstrap.min.")  # the hashed name
    assert seen == {
        "healthz": 200,
        "login page": 200,
        "log in": [302, "/"],
        "second factor": [302, "/"],
        "report": [200, True],
        "invoice pdf": [200, "application/pdf", "%PDF-"],
        # DEBUG is off: a plain 404 page, not Django's page listing every URL.
        "missing page": [404, False],
    }
    assert stylesheet_status == 200
