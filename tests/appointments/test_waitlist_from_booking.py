"""From the booking page to the waitlist: when no free time suits, "Put on the waitlist" opens
the add form with the patient, the doctor and the day chosen, and the reason typed as the note;
a link's bad values are left out, never an error."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.waitlist.models import WaitlistEntry
from tests.appointments.factories import MONDAY, doctor_with_hours
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ADD = reverse("appointments:waitlist_add")
BOOK = reverse("appointments:appointment_book")


@pytest.fixture
def dr(db):
    return doctor_with_hours(last_name="Okafor")


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def initial(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in ("patient", "doctor", "specialty", "day_from")}


def test_a_link_fills_in_the_patient_the_doctor_and_the_day(desk, dr):
    patient = PatientFactory(mrn="P0000321")

    response = desk.get(ADD, {"patient": patient.pk, "doctor": dr.pk, "day": "2030-03-04"})

    assert response.status_code == 200
    assert initial(response) == {
        "patient": "P0000321",
        "doctor": dr.pk,
        "specialty": None,
        "day_from": MONDAY,
    }
    assert response.context["form"]["day_to"].value() == MONDAY + datetime.timedelta(weeks=4)
    html = response.content.decode()
    assert 'value="P0000321"' in html
    assert f'<option value="{dr.pk}" selected>' in html


@pytest.mark.parametrize(
    "query",
    [
        {"patient": "999999", "doctor": "999999", "specialty": "999999", "day": "2030-02-30"},
        {"patient": "x", "doctor": "1e3", "day": "yesterday"},
        {"patient": "1" * 40, "doctor": "٣", "specialty": "-1", "day": "9999-12-31"},
        {"day": "2000-01-01"},  # past: the form's own first day stays
        {"patient": ["1", "2"], "day": ""},
    ],
)
def test_bad_values_in_the_link_are_left_out(desk, dr, query):
    response = desk.get(ADD, query)

    assert response.status_code == 200
    assert initial(response) == {
        "patient": None,
        "doctor": None,
        "specialty": None,
        "day_from": timezone.localdate(),
    }
    assert not response.context["form"].errors


def test_the_booking_pages_button_carries_the_patient_doctor_day_and_reason(desk, dr):
    patient = PatientFactory(mrn="P0000654", first_name="Ines", last_name="Marsh")
    page = desk.get(BOOK, {"patient": patient.pk, "doctor": dr.pk, "from_date": "2030-03-04"})
    assert "Put on the waitlist" in page.content.decode()

    response = desk.post(
        BOOK,
        {
            "patient": patient.pk,
            "doctor": dr.pk,
            "from_date": "2030-03-04",
            "reason": "Knee pain, worse on stairs",
            "slot": "not a slot",
            "action": "waitlist",
        },
        follow=True,
    )

    assert response.redirect_chain[0][0].startswith(ADD + "?")
    assert initial(response) == {
        "patient": "P0000654",
        "doctor": dr.pk,
        "specialty": None,
        "day_from": MONDAY,
    }
    assert response.context["form"]["note"].value() == "Knee pain, worse on stairs"
    assert "Knee pain" not in response.redirect_chain[0][0]  # not in the address (logs)

    added = desk.post(
        response.redirect_chain[0][0],
        {
            "patient": "P0000654",
            "doctor": dr.pk,
            "day_from": "2030-03-04",
            "day_to": "2030-03-29",
            "weekdays": [str(bit) for bit in range(5)],
            "priority": "3",
            "note": "Knee pain, worse on stairs",
        },
        follow=True,
    )

    assert added.redirect_chain[-1][0] == reverse("appointments:waitlist")
    assert "Ines Marsh" in " ".join(str(m) for m in added.context["messages"])
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.doctor, entry.day_from, entry.note) == (dr, MONDAY, "Knee pain, worse on stairs")


def test_the_reason_goes_to_one_add_form_only(desk, dr):
    desk.post(BOOK, {"doctor": dr.pk, "reason": "Follow-up", "action": "waitlist"})

    first = desk.get(ADD, {"from": "booking"})
    again = desk.get(ADD, {"from": "booking"})

    assert first.context["form"]["note"].value() == "Follow-up"
    assert again.context["form"]["note"].value() in (None, "")


def test_a_specialty_without_a_doctor_is_carried_over(desk, dr):
    response = desk.post(BOOK, {"specialty": dr.specialty.pk, "action": "waitlist"}, follow=True)

    assert initial(response)["specialty"] == dr.specialty.pk
    assert initial(response)["patient"] is None


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_only_the_desk_goes_from_booking_to_the_waitlist(client, request, role, dr):
    client.force_login(request.getfixturevalue(role))

    response = client.post(BOOK, {"doctor": dr.pk, "action": "waitlist"})

    assert response.status_code == 403
