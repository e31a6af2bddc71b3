"""The queue's pages: the waiting-room display (no login, no names, a fixed and cached cost),
the token slip, the token on arrivals, and "call next" / "recall" on the doctor's day list."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.queue_services import queue_call_next, queue_room_save
from core.models import AuditEvent
from tests.appointments.queue_helpers import booked_today, checked_in_today
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _display(client, code: str = "", board: bool = False, **query):
    name = "waiting_room:board" if board else "waiting_room:display"
    return client.get(reverse(name, args=[code] if code else []), query)


def test_the_display_opens_without_a_login_and_shows_tokens_rooms_and_no_patient(client):
    doctor = DoctorFactory(last_name="Okafor")
    queue_room_save(doctor=doctor, room="Room 4", display_name="", by=None)
    patients = [
        PatientFactory(first_name="Zebedee", last_name="Quartermaine", mrn=f"P99{i}")
        for i in range(3)
    ]
    for i, patient in enumerate(patients):
        checked_in_today(doctor, i, patient=patient, reason="Chest pain")
    queue_call_next(doctor=doctor, by=None)

    response = _display(client)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Room 4" in html and "Dr Okafor" in html
    assert 'data-testid="called">1<' in html
    assert "<li>2</li><li>3</li>" in html
    for text in ("Zebedee", "Quartermaine", "P990", "Chest pain", "07:0"):
        assert text not in html  # no name, record number, reason or appointment time
    assert 'hx-trigger="every 5s"' in html
    assert not response.cookies  # no session, no CSRF cookie for a screen on the wall


def test_a_display_for_one_doctor_shows_their_queue_even_when_empty(client):
    mine, other = DoctorFactory(last_name="Adeyemi"), DoctorFactory(last_name="Brandt")
    queue_room_save(doctor=mine, room="Room 2", display_name="Dr A. Adeyemi", by=None)
    checked_in_today(other, 0)

    html = _display(client, mine.code).content.decode()

    assert "Dr A. Adeyemi" in html and "Room 2" in html and "Nobody waiting" in html
    assert "Brandt" not in html
    assert _display(client, "NOSUCH").status_code == 404


def test_the_display_says_a_fresh_call_in_words_not_only_colour(client):
    doctor = DoctorFactory()
    checked_in_today(doctor, 0)
    queue_call_next(doctor=doctor, by=None)
    assert "New call" in _display(client).content.decode()
    cache.clear()
    queue_call_next_time = timezone.now() - datetime.timedelta(minutes=5)
    doctor2 = DoctorFactory()
    checked_in_today(doctor2, 1)
    queue_call_next(doctor=doctor2, by=None, now=queue_call_next_time)
    html = _display(client, doctor2.code).content.decode()
    assert 'data-testid="called">1<' in html and "New call" not in html


def _queries(client, **kwargs) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert _display(client, **kwargs).status_code == 200
    return len(captured)


def test_the_display_costs_two_queries_whatever_the_queues_and_none_while_cached(client):
    doctors = [DoctorFactory() for _ in range(2)]
    for i in range(2):
        checked_in_today(doctors[i], i)
    few = _queries(client)
    doctors += [DoctorFactory() for _ in range(8)]
    for i in range(40):
        checked_in_today(doctors[i % 10], i + 2)
    for doctor in doctors:
        queue_call_next(doctor=doctor, by=None)
    many = _queries(client)
    assert few == many == 2  # the doctors shown, the day's tokens
    assert _queries(client, code=doctors[3].code) == 2
    _display(client)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(20):
            _display(client)
            _display(client, board=True)
    assert len(captured) == 0  # polls within the cache's seconds read nothing


def test_a_poll_with_nothing_new_gets_204_and_a_change_the_new_board(
    client, django_capture_on_commit_callbacks
):
    doctor = DoctorFactory()
    checked_in_today(doctor, 0)
    first = _display(client, board=True)
    version = first.content.decode().split("?v=")[1].split('"')[0]
    assert _display(client, board=True, v=version).status_code == 204

    with django_capture_on_commit_callbacks(execute=True):
        queue_call_next(doctor=doctor, by=None)  # drops this server's cached board at once

    changed = _display(client, board=True, v=version)
    assert changed.status_code == 200
    html = changed.content.decode()
    assert 'data-testid="called">1<' in html
    assert 'hx-swap-oob="innerHTML">Token 1, ' in html  # the screen reader's announcement


def test_the_slip_shows_the_token_and_room_but_no_name(login, front_desk):
    doctor = DoctorFactory(last_name="Okafor")
    queue_room_save(doctor=doctor, room="Room 4", display_name="", by=None)
    patient = PatientFactory(first_name="Zebedee", last_name="Quartermaine")
    checked_in_today(doctor, 0)
    appointment = checked_in_today(doctor, 1, patient=patient)

    response = login(front_desk).get(reverse("appointments:queue_ticket", args=[appointment.pk]))

    slip = response.content.decode().split('data-testid="queue-slip"')[1].split("</section>")[0]
    assert 'data-testid="token-number">2<' in slip
    assert "Room 4 · Dr Okafor" in slip
    assert "Zebedee" not in slip and "Quartermaine" not in slip
    not_here = booked_today(doctor, 2)
    missing = login(front_desk).get(reverse("appointments:queue_ticket", args=[not_here.pk]))
    assert missing.status_code == 404


def test_checking_in_at_arrivals_says_the_token_and_lists_it(login, front_desk):
    doctor = DoctorFactory()
    checked_in_today(doctor, 0)
    appointment = booked_today(doctor, 1)
    client = login(front_desk)

    response = client.post(
        reverse("appointments:appointment_check_in", args=[appointment.pk]), follow=True
    )

    assert f"Checked in {appointment.patient.full_name}: token 2." in response.content.decode()
    row = response.content.decode().split(f'id="arrival-{appointment.pk}"')[1].split("</tr>")[0]
    assert "token <strong>2</strong>" in row
    assert reverse("appointments:queue_ticket", args=[appointment.pk]) in row


def test_the_doctor_calls_next_from_their_day_and_the_display_shows_it(login, doctor, client):
    me = doctor.doctor
    first = checked_in_today(me, 0)
    checked_in_today(me, 1)
    page = login(doctor).get(reverse("clinical:doctor_day")).content.decode()
    assert "Call next (token 1)" in page and 'name="after" value="0"' in page

    response = client.post(
        reverse("appointments:queue_call_next", args=[me.pk]),
        {"after": "0", "next": reverse("clinical:doctor_day")},
        follow=True,
    )

    html = response.content.decode()
    assert "Token 1 called: it shows on the display." in html
    assert f"token 1</strong>, {first.patient.full_name}" in html
    assert "Call next (token 2)" in html and "Recall token 1" in html
    client.logout()
    assert 'data-testid="called">1<' in _display(client, me.code).content.decode()


def test_a_recall_from_the_day_list_counts_the_calls(login, doctor):
    me = doctor.doctor
    checked_in_today(me, 0)
    ticket = queue_call_next(doctor=me, by=None)
    client = login(doctor)
    response = client.post(
        reverse("appointments:queue_recall", args=[me.pk, ticket.pk]), follow=True
    )
    html = response.content.decode()
    assert "Token 1 called again." in html and "2 times" in html


def test_another_doctor_and_the_desk_cannot_call_a_doctors_queue(
    login, doctor, other_doctor, front_desk
):
    me = doctor.doctor
    checked_in_today(me, 0)
    url = reverse("appointments:queue_call_next", args=[me.pk])
    assert login(other_doctor).post(url, {"after": "0"}).status_code == 403
    assert login(front_desk).post(url, {"after": "0"}).status_code == 403
    page = login(other_doctor).get(reverse("clinical:doctor_day") + f"?doctor={me.pk}")
    assert "Call next" not in page.content.decode()
    assert 'data-testid="queue-panel"' in page.content.decode()


def test_a_room_set_in_the_admin_is_audited_and_shown(client, admin_user):
    doctor = DoctorFactory(last_name="Okafor")
    checked_in_today(doctor, 0)
    queue_room_save(doctor=doctor, room="Room 4", display_name="", by=admin_user)
    queue_room_save(doctor=doctor, room="Room 7", display_name="Clinic B", by=admin_user)
    event = AuditEvent.objects.filter(object_type__icontains="queue").order_by("-id").first()
    assert event.changes["room"] == {"before": "Room 4", "after": "Room 7"}
    html = _display(client).content.decode()
    assert "Room 7" in html and "Clinic B" in html and "Okafor" not in html


def test_an_administrator_sets_a_room_in_the_admin_through_the_service(login, admin_user, client):
    doctor = DoctorFactory(last_name="Okafor")
    admin = login(admin_user)
    add = reverse("admin:appointments_queueroom_add")
    assert admin.get(add).status_code == 200
    response = admin.post(add, {"doctor": doctor.pk, "room": " Room 9 ", "display_name": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(object_type__icontains="queue").order_by("-id").first()
    assert event.changes["room"] == {"before": None, "after": "Room 9"}  # trimmed by the service
    admin.logout()
    checked_in_today(doctor, 0)
    assert "Room 9" in _display(client).content.decode()
