"""Password reset by e-mail opens only when the hospital has set up outgoing mail
(HMS_EMAIL_HOST); without it the reset pages answer 404, and logging in and out and changing
one's password work as ever (hms.auth_urls)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESET_PAGES = [
    ("password_reset", ()),
    ("password_reset_done", ()),
    ("password_reset_confirm", ("MQ", "set-password")),
    ("password_reset_complete", ()),
]
NEW_PASSWORD = "a-long-new-passphrase-2024"


@pytest.mark.parametrize(("name", "args"), RESET_PAGES)
def test_it_answers_404_without_outgoing_mail(client, login, front_desk, name, args):
    url = reverse(name, args=args)

    assert client.get(url).status_code == 404
    assert client.post(url, {"email": front_desk.email}).status_code == 404
    assert login(front_desk).get(url).status_code == 404


def test_it_keeps_logging_in_and_changing_ones_password_without_mail(client, login, front_desk):
    assert client.get(reverse("login")).status_code == 200
    assert login(front_desk).get(reverse("password_change")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_it_resets_a_password_by_mail_once_mail_is_set_up(settings, mailoutbox, front_desk):
    settings.EMAIL_HOST = "smtp.hospital.test"
    client = Client()

    asked = client.post(reverse("password_reset"), {"email": front_desk.email})

    assert asked.status_code == 302
    assert client.get(asked.url).status_code == 200
    (mail,) = mailoutbox
    assert mail.to == [front_desk.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200
    # The link moves its token into the session and shows the form at .../set-password/.
    (set_password, _), *_ = form.redirect_chain
    done = client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get(done.url).status_code == 200
    assert _logs_in(NEW_PASSWORD)


def _logs_in(password: str) -> bool:
    client = Client()
    client.post(reverse("login"), {"username": "frontdesk", "password": password})
    return "_auth_user_id" in client.session
