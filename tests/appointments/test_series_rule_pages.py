"""The desk's page "Change the repeat rule from here": the form filled from the series, its
preview (the new dates, each clash with an alternative), the change confirmed; what was typed
kept on every refusal; bad input never a 500; only the desk."""

import pytest

from appointments.models import Appointment, AppointmentSeries, AppointmentStatus
from appointments.services import appointment_book, series_book
from tests.appointments.factories import doctor_with_hours, tuesday, wednesday
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly():
    clinician = doctor_with_hours(weekdays=(1, 2))
    return series_book(
        patient=PatientFactory(),
        doctor=clinician,
        start=tuesday(0),
        rule="FREQ=WEEKLY;COUNT=6",
        by=None,
    )


def url(appointment):
    return f"/appointments/{appointment.pk}/series/rule/"


def rule_data(start, **extra):
    return {
        "start": f"{start:%Y-%m-%dT%H:%M}",
        "interval": "1",
        "frequency": "WEEKLY",
        "end": "count",
        "count": "4",
        "action": "series_rule_preview",
        **extra,
    }


def test_the_occurrence_page_offers_the_change_and_the_form_starts_from_the_series(
    client, front_desk, weekly
):
    client.force_login(front_desk)

    detail = client.get(f"/appointments/{weekly[2].pk}/").content.decode()
    page = client.get(url(weekly[2])).content.decode()

    assert url(weekly[2]) in detail and "Change the repeat rule from here" in detail
    assert f'value="{tuesday(2):%Y-%m-%dT%H:%M}"' in page
    assert 'name="count" value="4"' in page  # the four left from no. 3


def test_the_preview_lists_the_new_dates_with_the_clash_and_keeps_what_was_typed(
    client, front_desk, weekly
):
    appointment_book(patient=PatientFactory(), doctor=weekly[0].doctor, start=wednesday(4), by=None)
    client.force_login(front_desk)

    response = client.post(url(weekly[2]), rule_data(wednesday(2), count="3"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Every Wednesday at 10:00, 3 times: 2 to book" in page
    assert 'data-occurrence="3"' in page and "Clash:" in page
    assert 'id="occurrence-3-alt"' in page  # an alternative proposed
    assert f'value="{wednesday(2):%Y-%m-%dT%H:%M}"' in page
    assert 'name="count" value="3"' in page
    assert "confirm-series-rule" in page
    assert set(Appointment.objects.values_list("status", flat=True)) == {"scheduled"}


def test_confirming_with_a_clash_refuses_then_books_with_the_desks_choice(
    client, front_desk, weekly
):
    appointment_book(patient=PatientFactory(), doctor=weekly[0].doctor, start=wednesday(3), by=None)
    client.force_login(front_desk)
    data = rule_data(wednesday(2), count="3", action="series_rule_confirm")

    refused = client.post(url(weekly[2]), data)

    page = refused.content.decode()
    assert refused.status_code == 200
    assert "cannot be booked, so nothing was booked" in page
    assert 'name="count" value="3"' in page
    assert AppointmentSeries.objects.count() == 1

    skip = {"occurrence-2": f"skip|{wednesday(3).isoformat()}"}
    done = client.post(url(weekly[2]), {**data, **skip}, follow=True)

    new = AppointmentSeries.objects.latest("pk")
    assert done.redirect_chain[-1][0] == f"/appointments/{new.occurrences.first().pk}/"
    assert "The series changed from" in done.content.decode()
    assert [a.start for a in new.occurrences.order_by("start")] == [wednesday(2), wednesday(4)]
    assert weekly[0].series.occurrences.filter(status=AppointmentStatus.CANCELLED).count() == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "not a date"},
        {"start": "0001-01-01T10:00"},
        {"interval": "-3"},
        {"interval": "x"},
        {"frequency": "HOURLY"},
        {"end": "until", "until": "99999-01-01"},
        {"end": "until", "until": ""},
        {"end": "count", "count": "100000"},
        {"end": "forever"},
        {"weekdays": ["XX"]},
        {"frequency": "DAILY", "weekdays": ["MO"]},
        {"occurrence-1": "alt|garbage|more garbage"},
        {"occurrence-1": "other|2030-01-01T10:00", "occurrence-1-other": "0001-01-01T00:00"},
        {
            "occurrence-1": f"other|{tuesday(2).isoformat()}",
            "occurrence-1-other": "0001-01-01T00:00",
        },
        {"occurrence-2": f"alt|{tuesday(3).isoformat()}|9999-12-31T23:59"},
        {"start": "2999-12-31T10:00"},
        {"action": "series_rule_confirm", "start": "2000-01-01T10:00"},
    ],
)
def test_bad_input_is_said_and_never_a_500(client, front_desk, weekly, bad):
    client.force_login(front_desk)

    response = client.post(url(weekly[2]), {**rule_data(tuesday(2)), **bad})

    page = response.content.decode()
    assert response.status_code == 200
    # Said on the form, or the plan shown with each date's verdict; never written.
    assert "is-invalid" in page or "series-error" in page or 'data-testid="series-plan"' in page
    assert f'value="{tuesday(2):%Y-%m-%dT%H:%M}"' in page or "start" in bad
    assert set(Appointment.objects.values_list("status", flat=True)) == {"scheduled"}


def test_an_appointment_of_no_series_or_cancelled_is_sent_back_with_why(client, front_desk, weekly):
    single = appointment_book(
        patient=PatientFactory(), doctor=weekly[0].doctor, start=wednesday(1), by=None
    )
    client.force_login(front_desk)

    response = client.get(url(single), follow=True)

    assert "Only a scheduled appointment of a series" in response.content.decode()
    assert client.get("/appointments/999999/series/rule/").status_code == 404


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_only_the_desk_changes_a_series_rule(request, client, role, weekly):
    client.force_login(request.getfixturevalue(role))

    page = client.get(url(weekly[2]))
    change = client.post(url(weekly[2]), rule_data(tuesday(2), action="series_rule_confirm"))
    detail = client.get(f"/appointments/{weekly[2].pk}/").content.decode()

    assert (page.status_code, change.status_code) == (403, 403)
    assert "Change the repeat rule from here" not in detail
    assert AppointmentSeries.objects.count() == 1


def test_an_administrator_changes_a_series_rule_too(client, admin_user, weekly):
    client.force_login(admin_user)

    client.post(url(weekly[2]), rule_data(tuesday(2, 11), action="series_rule_confirm"))

    assert AppointmentSeries.objects.count() == 2
