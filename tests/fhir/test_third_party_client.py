"""Another team's FHIR client talks to the server: `fhirclient` (SMART on FHIR's Python client,
with its own R4 models) reads the CapabilityStatement and a Patient, searches a doctor's free
Slots and books the first one, against a live server, as a lab's or a patient app's code would.
Its models parse every answer by their own rules, not by the fhir.resources models the server
is built with."""

import pytest
import requests
from fhirclient import client as fhir_client
from fhirclient.models.appointment import Appointment as ClientAppointment
from fhirclient.models.patient import Patient as ClientPatient
from fhirclient.models.slot import Slot as ClientSlot

from appointments.models import Appointment, AppointmentStatus
from core import roles
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import PatientFactory, UserFactory
from tests.fhir.conftest import token_for


@pytest.mark.django_db(transaction=True)
def test_a_third_party_client_reads_a_patient_finds_a_free_slot_and_books_it(live_server):
    ada = doctor_with_hours(first_name="Ada", last_name="Lovelace")  # Mondays 09:00-17:00
    maria = PatientFactory(first_name="María", last_name="González")
    secret = token_for(UserFactory(username="lab-system", role=roles.FRONT_DESK))

    smart = fhir_client.FHIRClient(
        settings={"app_id": "hms-tests", "api_base": f"{live_server.url}/fhir/R4/"}
    )
    smart.server.session.headers["Authorization"] = f"Bearer {secret}"
    smart.prepare()  # reads /metadata into the client's own CapabilityStatement model
    assert smart.server.capabilityStatement.fhirVersion.startswith("4.0")
    served = {r.type for r in smart.server.capabilityStatement.rest[0].resource}
    assert {"Patient", "Slot", "Appointment"} <= served

    patient = ClientPatient.read(str(maria.pk), smart.server)
    assert patient.name[0].family == "González"
    assert patient.identifier[0].value == maria.mrn

    search = ClientSlot.where(
        struct={
            "schedule": f"Schedule/{ada.pk}",
            "status": "free",
            "start": MONDAY.isoformat(),  # that day
            "_count": "5",
        }
    )
    slots = list(search.perform_resources_iter(smart.server))  # the client follows `next`
    assert len(slots) == 16  # 09:00 to 17:00 in half hours, in four pages
    assert len({slot.id for slot in slots}) == 16
    first = slots[0]
    assert first.status == "free"
    assert first.start.datetime == at(9)

    booking = ClientAppointment(
        {
            "resourceType": "Appointment",
            "status": "booked",
            "start": first.start.isostring,
            "end": first.end.isostring,
            "slot": [{"reference": f"Slot/{first.id}"}],
            "reasonCode": [{"text": "Blood results"}],
            "participant": [
                {"actor": {"reference": f"Patient/{maria.pk}"}, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/{ada.pk}"}, "status": "accepted"},
            ],
        }
    )
    created = ClientAppointment(booking.create(smart.server))

    stored = Appointment.objects.get(patient=maria)
    assert created.id == str(stored.pk)
    assert (stored.doctor, stored.start, stored.status) == (ada, at(9), AppointmentStatus.SCHEDULED)
    still_free = ClientSlot.where(struct={"schedule": f"Schedule/{ada.pk}", "start": "2030-03-04"})
    assert next(still_free.perform_resources_iter(smart.server)).start.datetime == at(9, 30)
    # The same slot again: the server says 409, and the client raises it.
    with pytest.raises(requests.HTTPError) as refused:
        booking.create(smart.server)
    assert refused.value.response.status_code == 409
    assert "already has an appointment" in refused.value.response.text
