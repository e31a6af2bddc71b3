"""The desk's pages of series: "Repeat" on the booking page, its preview (htmx partial and
without JavaScript), booking with the desk's choices, and the change form of an occurrence;
only the front desk and administrators."""

import datetime

import pytest

from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_book, series_book
from tests.appointments.factories import TUESDAY, WEEK, doctor_with_hours, tuesday
from tests.factories import PatientFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician():
    return doctor_with_hours(weekdays=(1, 2))


@pytest.fixture
def patient():
    return PatientFactory()


def _slot_value(doctor, start):
    """The slot picker's value of a slot (doctor|start|end), as the page posts it."""
    return f"{doctor.pk}|{start.isoformat()}|{(start + datetime.timedelta(minutes=30)).isoformat()}"


def booking_data(patient, clinician, **extra):
    return {
        "patient": patient.pk,
        "doctor": clinician.pk,
        "from_date": TUESDAY.isoformat(),
        "slot": _slot_value(clinician, tuesday(0)),
        "reason": "Weekly dressing",
        "repeat": "on",
        "repeat_weeks": "1",
        "repeat_end": "count",
        "repeat_count": "5",
        **extra,
    }


@pytest.fixture
def clashes(clinician):
    """Week 2 taken by another patient, week 4 in the doctor's time off."""
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(1), by=None)
    TimeOffFactory(doctor=clinician, start=tuesday(3, 0), end=tuesday(3, 23), reason="Congress")


def test_the_preview_partial_names_each_clash_with_its_alternative(
    client, front_desk, patient, clinician, clashes
):
    client.force_login(front_desk)

    response = client.post("/appointments/book/series-preview/", booking_data(patient, clinician))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial alone
    assert "Every Tuesday at 10:00, 5 times: 3 to book" in html
    assert "2 to resolve" in html
    assert "already has an appointment from 10:00 to 10:30" in html
    assert "is away at that time" in html
    assert f"Book {tuesday(1):%a %-d %b} 09:30 instead" in html
    assert (
        f"Book {(TUESDAY + 3 * WEEK + datetime.timedelta(days=1)):%a %-d %b} 09:00 instead" in html
    )
    assert not Appointment.objects.filter(patient=patient).exists()  # nothing written


def test_the_page_without_javascript_shows_the_preview_and_keeps_what_was_typed(
    client, front_desk, patient, clinician, clashes
):
    client.force_login(front_desk)

    data = booking_data(patient, clinician, action="series_preview", repeat_count="7")
    response = client.post("/appointments/book/", data)

    html = response.content.decode()
    assert 'value="Weekly dressing"' in html
    assert 'name="repeat_count" value="7"' in html
    assert 'data-testid="series-plan"' in html
    assert "2 to resolve" in html


def test_booking_refuses_unresolved_clashes_then_books_with_the_choices(
    client, front_desk, patient, clinician, clashes
):
    client.force_login(front_desk)
    data = booking_data(patient, clinician, action="series_book")

    refused = client.post("/appointments/book/", data)
    assert refused.status_code == 200
    assert "2 appointments of the series cannot be booked, so nothing was booked" in (
        refused.content.decode()
    )
    assert not Appointment.objects.filter(patient=patient).exists()

    data["occurrence-2"] = f"alt|{tuesday(1).isoformat()}|{tuesday(1, 9, 30).isoformat()}"
    data["occurrence-4"] = f"skip|{tuesday(3).isoformat()}"
    response = client.post("/appointments/book/", data, follow=True)

    booked = list(Appointment.objects.filter(patient=patient).order_by("start"))
    assert [a.series_index for a in booked] == [1, 2, 3, 5]
    assert booked[1].start == tuesday(1, 9, 30) and booked[1].series_start == tuesday(1)
    assert {a.reason for a in booked} == {"Weekly dressing"}
    assert response.redirect_chain[-1][0] == f"/appointments/{booked[0].pk}/"
    assert "Booked 4 appointments for" in response.content.decode()


def test_a_time_chosen_months_or_centuries_away_is_refused_with_why(
    client, front_desk, patient, clinician, clashes
):
    client.force_login(front_desk)
    data = booking_data(patient, clinician, action="series_book")
    data["occurrence-4"] = f"skip|{tuesday(3).isoformat()}"
    for far in (tuesday(1) + 10 * WEEK, datetime.datetime(2999, 12, 31, 10, tzinfo=datetime.UTC)):
        data["occurrence-2"] = f"other|{tuesday(1).isoformat()}"
        data["occurrence-2-other"] = far.isoformat()

        response = client.post("/appointments/book/", data)

        assert response.status_code == 200
        assert "is more than 31 days from this date: choose a time nearer to it" in (
            response.content.decode()
        )
        assert not Appointment.objects.filter(patient=patient).exists()


def test_a_rule_beyond_the_limit_says_so(client, front_desk, patient, clinician):
    client.force_login(front_desk)
    data = booking_data(patient, clinician, repeat_end="until", repeat_until="2033-01-01")

    html = client.post("/appointments/book/series-preview/", data).content.decode()

    assert "would make more than 104 appointments" in html


def test_the_occurrence_page_cancels_one_then_the_following(client, front_desk, patient, clinician):
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=5", by=None
    )
    client.force_login(front_desk)
    page = client.get(f"/appointments/{booked[1].pk}/").content.decode()
    assert "Series: every Tuesday at 10:00, 5 times" in page
    assert "This is no. 2 of 5." in page

    client.post(
        f"/appointments/{booked[1].pk}/series/",
        {"action": "cancel", "scope": "one", "reason": "Ill"},
    )
    response = client.post(
        f"/appointments/{booked[2].pk}/series/",
        {"action": "cancel", "scope": "following", "reason": "Moving away"},
        follow=True,
    )

    statuses = list(
        Appointment.objects.filter(series=booked[0].series)
        .order_by("series_index")
        .values_list("status", flat=True)
    )
    assert statuses == ["scheduled"] + ["cancelled"] * 4
    assert "Cancelled 3 appointments (this and the following appointments)" in (
        response.content.decode()
    )


def test_the_occurrence_page_moves_one_as_an_exception(client, front_desk, patient, clinician):
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=3", by=None
    )
    client.force_login(front_desk)

    client.post(
        f"/appointments/{booked[1].pk}/series/",
        {"action": "move", "scope": "one", "start": f"{tuesday(1, 15):%Y-%m-%dT%H:%M}"},
    )

    page = client.get(f"/appointments/{booked[1].pk}/").content.decode()
    assert "an exception of the series" in page
    moved = Appointment.objects.get(pk=booked[1].pk)
    assert (moved.start, moved.series_start, moved.status) == (
        tuesday(1, 15),
        tuesday(1),
        AppointmentStatus.SCHEDULED,
    )


def test_a_refused_change_says_why_and_changes_nothing(client, front_desk, patient, clinician):
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=3", by=None
    )
    client.force_login(front_desk)

    response = client.post(
        f"/appointments/{booked[0].pk}/series/",
        {"action": "cancel", "scope": "all", "reason": ""},
        follow=True,
    )

    assert "Say why the appointments are cancelled." in response.content.decode()
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()

    moved = client.post(
        f"/appointments/{booked[0].pk}/series/",
        {"action": "move", "scope": "all", "start": "9999-12-31T10:00"},
        follow=True,
    )

    assert moved.status_code == 200
    assert "Enter a date from 1900 to 2999." in moved.content.decode()
    assert [a.start for a in Appointment.objects.order_by("start")] == [
        tuesday(0),
        tuesday(1),
        tuesday(2),
    ]


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_only_the_desk_previews_books_and_changes_series(request, client, role, patient, clinician):
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=2", by=None
    )
    client.force_login(request.getfixturevalue(role))

    preview = client.post("/appointments/book/series-preview/", booking_data(patient, clinician))
    change = client.post(
        f"/appointments/{booked[0].pk}/series/",
        {"action": "cancel", "scope": "all", "reason": "No"},
    )
    page = client.get(f"/appointments/{booked[0].pk}/").content.decode()

    assert (preview.status_code, change.status_code) == (403, 403)
    assert 'data-testid="series-panel"' in page  # they see the series
    assert 'data-testid="series-change"' not in page  # not the form
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_an_administrator_changes_a_series_too(client, admin_user, patient, clinician):
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=2", by=None
    )
    client.force_login(admin_user)

    client.post(
        f"/appointments/{booked[0].pk}/series/",
        {"action": "cancel", "scope": "all", "reason": "Stops"},
    )

    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 2
