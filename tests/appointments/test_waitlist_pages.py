"""The waitlist page and the day calendar's offered cells, as the desk sees them: add a
waiter, see an offer, book it in one click or pass it; who may; what a page read costs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_cancel, waitlist_add
from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitPriority, WaitStatus
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = reverse("appointments:waitlist")


@pytest.fixture
def dr(db):
    return doctor_with_hours(last_name="Okafor")


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def wait(doctor, **fields):
    return waitlist_add(
        patient=fields.pop("patient", None) or PatientFactory(),
        day_from=MONDAY,
        day_to=MONDAY + datetime.timedelta(days=6),
        doctor=doctor,
        by=None,
        **fields,
    )


def cancel_ten(doctor):
    appointment = AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))
    appointment_cancel(appointment=appointment, reason="Patient called", by=None)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_desk_adds_a_patient_by_mrn_for_a_specialty(desk, dr):
    patient = PatientFactory(mrn="P0000777")
    response = desk.post(
        reverse("appointments:waitlist_add"),
        {
            "patient": "p0000777",
            "specialty": dr.specialty.pk,
            "day_from": "2030-03-04",
            "day_to": "2030-03-29",
            "weekdays": ["0", "2"],
            "earliest": "09:00",
            "latest": "12:00",
            "priority": "1",
            "note": "Mornings, after school run",
        },
        follow=True,
    )

    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.specialty, entry.doctor, entry.weekdays) == (dr.specialty, None, 0b101)
    assert (entry.earliest, entry.latest) == (datetime.time(9), datetime.time(12))
    assert entry.priority == WaitPriority.URGENT
    assert f"now waits for any {dr.specialty} doctor" in " ".join(messages_of(response))
    html = response.content.decode()
    assert "Mon, Wed" in html and "09:00–12:00" in html and "Urgent" in html


def test_the_form_says_what_is_missing(desk):
    PatientFactory(mrn="P0000778")
    response = desk.post(
        reverse("appointments:waitlist_add"),
        {
            "patient": "P0000999",
            "day_from": "2030-03-10",
            "day_to": "2030-03-04",
            "weekdays": ["0"],
            "priority": "3",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "No patient has the MRN P0000999." in html
    assert "Pick a doctor or a specialty." in html
    assert not WaitlistEntry.objects.exists()


def test_the_page_shows_an_offer_and_books_it_in_one_click(desk, dr):
    waiter = wait(dr)
    cancel_ten(dr)

    page = desk.get(URL).content.decode()
    offer = waiter.offers.get()
    assert f'id="offer-{offer.pk}"' in page
    assert waiter.patient.last_name in page

    response = desk.post(reverse("appointments:offer_book", args=[offer.pk]))

    appointment = Appointment.objects.get(patient=waiter.patient)
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("appointments:calendar_day") + f"?day=2030-03-04&highlight={appointment.pk}"
    )
    followed = desk.get(response["Location"])
    assert f"Booked {waiter.patient} with {dr} on Monday 04 March at 10:00." in messages_of(
        followed
    )


def test_a_click_on_a_slot_taken_meanwhile_says_so(desk, dr):
    waiter = wait(dr)
    cancel_ten(dr)
    offer = waiter.offers.get()
    AppointmentFactory(doctor=dr, start=at(10), end=at(10, 30))

    response = desk.post(reverse("appointments:offer_book", args=[offer.pk]), follow=True)

    assert "This offer is closed: another booking took the slot." in messages_of(response)
    assert f'id="offer-{offer.pk}"' not in response.content.decode()


def test_passing_shows_who_has_it_now(desk, dr):
    first, second = wait(dr), wait(dr)
    cancel_ten(dr)

    response = desk.post(
        reverse("appointments:offer_pass", args=[first.offers.get().pk]), follow=True
    )

    assert f"Passed. The slot is now offered to {second.patient}." in messages_of(response)


def test_an_expired_offer_moves_on_when_the_page_is_read_without_a_worker(desk, dr, settings):
    first, second = wait(dr), wait(dr)
    cancel_ten(dr)
    offer = first.offers.get()
    offer.expires_at = offer.created_at  # its time is up; no worker ran
    offer.save()

    page = desk.get(URL).content.decode()

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    nxt = second.offers.get()
    assert f'id="offer-{nxt.pk}"' in page


def test_a_page_key_with_digits_other_than_ascii_shows_the_first_page(desk, dr):
    entry = wait(dr)
    page = reverse("appointments:waitlist")

    for after in ("²_2025-01-01T00:00:00+00:00_1", "1_2025-01-01T00:00:00+00:00_" + "9" * 30):
        response = desk.get(page, {"after": after})
        assert response.status_code == 200
        assert entry.patient.mrn in response.content.decode()  # the first page: the one waiter


def test_the_desk_edits_and_removes_a_waiter(desk, dr):
    waiter = wait(dr)
    response = desk.post(
        reverse("appointments:waitlist_edit", args=[waiter.pk]),
        {
            "doctor": dr.pk,
            "day_from": "2030-03-04",
            "day_to": "2030-03-08",
            "weekdays": ["1"],
            "priority": "2",
            "note": "Tuesdays now",
        },
    )
    assert response.status_code == 302
    waiter.refresh_from_db()
    assert (waiter.weekdays, waiter.priority, waiter.note) == (0b10, 2, "Tuesdays now")

    assert f'id="entry-{waiter.pk}"' in desk.get(URL).content.decode()
    desk.post(reverse("appointments:waitlist_remove", args=[waiter.pk]))
    waiter.refresh_from_db()
    assert waiter.status == WaitStatus.REMOVED
    assert f'id="entry-{waiter.pk}"' not in desk.get(URL).content.decode()


def test_the_filters_show_one_doctors_waiters(desk, dr):
    mine = wait(dr)
    theirs = wait(doctor_with_hours())

    html = desk.get(URL + f"?doctor={dr.pk}").content.decode()

    assert mine.patient.last_name in html
    assert theirs.patient.last_name not in html


def test_the_day_calendar_marks_the_offered_cell(desk, dr):
    waiter = wait(dr)
    cancel_ten(dr)
    offer = waiter.offers.get()

    html = desk.get(reverse("appointments:calendar_day") + "?day=2030-03-04").content.decode()

    name = f"{waiter.patient.last_name}, {waiter.patient.first_name}"
    assert f"Offered to {name}" in html
    assert f'{URL}#offer-{offer.pk}"' in html
    assert html.count("Offered to ") == 1


@pytest.mark.parametrize("role", ["doctor", "billing_clerk", "outsider"])
def test_only_the_desk_sees_or_changes_the_waitlist(client, request, role, dr):
    waiter = wait(dr)
    cancel_ten(dr)
    offer = waiter.offers.get()
    client.force_login(request.getfixturevalue(role))

    assert client.get(URL).status_code == 403
    assert client.post(reverse("appointments:offer_book", args=[offer.pk])).status_code == 403
    assert client.post(reverse("appointments:offer_pass", args=[offer.pk])).status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_the_page_costs_the_same_queries_for_many_waiters(desk, dr, django_assert_max_num_queries):
    for _ in range(3):
        wait(dr)
    cancel_ten(dr)
    desk.get(URL)
    # 13: the offers' messages (how each waiter was told) are one prefetch, not one per offer.
    with django_assert_max_num_queries(13) as few:
        desk.get(URL)
    for _ in range(40):
        wait(dr, priority=WaitPriority.SOON)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = desk.get(URL)
    assert response.content.decode().count('id="entry-') == 43


def test_new_working_hours_on_the_hours_page_are_offered(desk, dr):
    in_two_days = timezone.localdate() + datetime.timedelta(days=2)
    waiter = waitlist_add(
        patient=PatientFactory(),
        day_from=timezone.localdate(),
        day_to=in_two_days,
        doctor=dr,
        by=None,
    )

    response = desk.post(
        reverse("doctors:working_hours_create", args=[dr.pk]),
        {
            "weekday": in_two_days.weekday(),
            "start_time": "07:00",
            "end_time": "08:00",
            "slot_minutes": "30",
            "valid_from": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 302
    offer = waiter.offers.get()
    seven = timezone.make_aware(datetime.datetime.combine(in_two_days, datetime.time(7)))
    assert (offer.start, offer.status) == (seven, OfferStatus.OPEN)
