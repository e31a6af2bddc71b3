"""Where patients' mail goes: the mail server of the environment, else files under var/mail/
in development (the worker logs which file), else nowhere in production."""

import importlib.util

import pytest
from django.core import mail

from appointments.messaging import services as messaging
from appointments.services import appointment_book
from tests.appointments.factories import doctor_with_hours
from tests.appointments.messaging import tomorrow_at
from tests.factories import PatientFactory
from tests.hms.production import BASE_DIR, OVERRIDES, production_env

SETTINGS_FILE = BASE_DIR / "hms" / "settings.py"
MAIL_VARIABLES = ("HMS_EMAIL_HOST", "HMS_EMAIL_PORT", "HMS_EMAIL_USE_TLS", "HMS_EMAIL_FROM")


def load_settings(monkeypatch, env: dict[str, str]):
    """hms/settings.py evaluated afresh under `env` (this process's settings stay)."""
    for name in (*OVERRIDES, *MAIL_VARIABLES, "HMS_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("hms_settings_for_mail", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_development_without_a_mail_server_writes_files_under_var_mail(monkeypatch):
    loaded = load_settings(monkeypatch, {})

    assert loaded.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
    assert loaded.EMAIL_FILE_PATH == BASE_DIR / "var" / "mail"
    assert loaded.HMS_PATIENT_EMAIL


def test_a_mail_server_from_the_environment_is_used_with_tls_and_the_sender(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        {
            "HMS_EMAIL_HOST": "smtp.hospital.test",
            "HMS_EMAIL_PORT": "2525",
            "HMS_EMAIL_USE_TLS": "true",
            "HMS_EMAIL_FROM": "St. Aurelia <appointments@hospital.test>",
        },
    )

    assert not hasattr(loaded, "EMAIL_BACKEND")  # Django's SMTP backend
    assert (loaded.EMAIL_HOST, loaded.EMAIL_PORT, loaded.EMAIL_USE_TLS) == (
        "smtp.hospital.test",
        2525,
        True,
    )
    assert loaded.DEFAULT_FROM_EMAIL == "St. Aurelia <appointments@hospital.test>"
    assert loaded.HMS_PATIENT_EMAIL


def test_production_without_a_mail_server_sends_patients_nothing(monkeypatch):
    loaded = load_settings(monkeypatch, production_env())

    assert not loaded.HMS_PATIENT_EMAIL
    assert not hasattr(loaded, "EMAIL_BACKEND")


@pytest.mark.django_db
def test_the_file_backend_writes_the_mail_and_the_log_says_where(settings, tmp_path, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    settings.DEFAULT_FROM_EMAIL = "St. Aurelia Hospital <appointments@hospital.test>"
    caplog.set_level("INFO", logger="appointments.messaging")
    patient = PatientFactory(email="ruth@example.org")
    doctor = doctor_with_hours(weekdays=range(7))
    appointment = appointment_book(patient=patient, doctor=doctor, start=tomorrow_at(10), by=None)

    [message] = appointment.messages.all()
    messaging.message_send(message_id=message.pk)

    [written] = list(tmp_path.iterdir())
    text = written.read_text()
    assert "To: ruth@example.org" in text
    assert "Where: St. Aurelia Hospital" in text
    assert 'Content-Type: text/calendar; charset="utf-8"; method="REQUEST"' in text
    assert f"written to {written}" in caplog.text
    assert mail.outbox == []


@pytest.mark.django_db
def test_production_without_a_mail_server_writes_no_message(settings):
    settings.HMS_PATIENT_EMAIL = False
    patient = PatientFactory(email="ruth@example.org")
    doctor = doctor_with_hours(weekdays=range(7))

    appointment = appointment_book(patient=patient, doctor=doctor, start=tomorrow_at(10), by=None)

    assert not appointment.messages.exists()
