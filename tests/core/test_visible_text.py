"""Names and free text refuse characters a person cannot see: a U+202E direction override
would print "evil" as "live" on an invoice."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appointments.models import Attendance
from core.validators import invisible_character
from patients.models import Patient
from tests.clinical.factories import checked_in_visit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

REGISTRATION = {"first_name": "Amara", "last_name": "Okonkwo", "sex": "female"}


@pytest.mark.parametrize(
    ("text", "multiline", "found"),
    [
        ("\u202eevil", False, "U+202E"),
        ("Ann\u2066a", False, "U+2066"),
        ("zero\u200bwidth", False, "U+200B"),
        ("bell\x07", True, "U+0007"),
        ("next\x85line", True, "U+0085"),
        ("two\nlines", False, "U+000A"),
        ("two\r\nlines\tand a tab", True, None),
        ("مرتضی\u200cپور", False, None),  # Persian needs the zero-width non-joiner
        ("José Núñez-Ó'Brien", False, None),
    ],
)
def test_it_finds_the_characters_nobody_sees(text, multiline, found):
    assert invisible_character(text, multiline=multiline) == found


def test_it_refuses_a_direction_override_in_a_patients_name(login, front_desk):
    response = login(front_desk).post(
        reverse("patients:patient_create"), {**REGISTRATION, "last_name": "\u202eevil"}
    )

    assert response.status_code == 200
    assert "Remove the invisible character U+202E" in response.content.decode()
    assert not Patient.objects.exists()


def test_it_refuses_one_in_the_model_layer_too():
    patient = PatientFactory.build(first_name="Eve\u202elive")

    with pytest.raises(ValidationError) as caught:
        patient.full_clean(exclude=["mrn"])

    assert "U+202E" in caught.value.message_dict["first_name"][0]


def test_it_refuses_control_characters_in_visit_notes_but_keeps_new_lines(login, doctor):
    visit = checked_in_visit(doctor=doctor.doctor, started=True)
    url = reverse("clinical:visit_record", args=[visit.pk])

    refused = login(doctor).post(url, {"diagnosis": "Sprain\x1b[31m", "notes": "ok"})
    accepted = login(doctor).post(url, {"diagnosis": "Sprain", "notes": "Rest.\r\nIce."})

    assert "Remove the invisible character U+001B" in refused.content.decode()
    assert accepted.status_code == 302
    assert Attendance.objects.get(pk=visit.pk).notes == "Rest.\r\nIce."
