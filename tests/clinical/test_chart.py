"""The patient chart: what it shows, what it records, and what it costs."""

import datetime
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from clinical.chart import LATEST
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory
from tests.clinical.factories import today_at
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db

# The chart page's whole query budget: session, user, permissions and role (5), the session's
# second-factor device (1, django-otp), the patient (1), the latest visits, the entries with the
# counts, and the upcoming appointments (3, clinical.chart.patient_chart), the vital signs'
# trends (1, clinical.vitals_selectors), the audit INSERT (1), and the session's save (3:
# savepoint, UPDATE, release).
CHART_MAX_QUERIES = 15


def chart_url(patient) -> str:
    return reverse("clinical:chart", args=[patient.pk])


def test_it_records_one_view_with_who_when_where_and_which_patient(login, doctor, patient):
    client = login(doctor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(chart_url(patient), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
    assert len(inserts) == 1
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.actor_username, event.action) == (doctor, "doctor", "view")
    assert (event.object_type, event.object_id) == ("patients.patient", str(patient.pk))
    assert event.patient_id == patient.pk
    assert event.ip_address == "10.1.2.3"
    assert event.path == chart_url(patient)
    assert timezone.now() - event.created_at < datetime.timedelta(minutes=1)


def test_it_records_no_view_for_a_refused_user(login, front_desk, patient):
    assert login(front_desk).get(chart_url(patient)).status_code == 403
    assert not AuditEvent.objects.filter(action="view").exists()


def test_it_shows_the_header_with_allergies_always_visible(login, doctor):
    patient = PatientFactory(
        first_name="Grace",
        last_name="Hopper",
        mrn="P0000042",
        sex="female",
        date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 40),
    )
    MedicalHistoryFactory(patient=patient, kind=HistoryKind.ALLERGY, description="Penicillin")
    response = login(doctor).get(chart_url(patient))
    header = response.text.split('data-testid="patient-header"')[1].split("</section>")[0]
    assert "Grace Hopper" in header
    assert "P0000042" in header
    assert "40 years · Female" in header
    assert "Penicillin" in header


def test_it_groups_the_history_by_kind_and_state(login, doctor, patient):
    on = datetime.date(2020, 1, 1)
    MedicalHistoryFactory(patient=patient, kind="condition", description="Asthma")
    MedicalHistoryFactory(
        patient=patient,
        kind="condition",
        description="Fracture",
        ended_on=datetime.date(2024, 7, 1),
    )
    MedicalHistoryFactory(patient=patient, kind="medication", description="Salbutamol")
    MedicalHistoryFactory(
        patient=patient, kind="medication", description="Codeine", ended_on=on.replace(year=2025)
    )
    MedicalHistoryFactory(patient=patient, kind="surgery", description="Appendectomy")
    response = login(doctor).get(chart_url(patient))
    chart = response.context["chart"]
    assert [e.description for e in chart.conditions_active] == ["Asthma"]
    assert [e.description for e in chart.conditions_resolved] == ["Fracture"]
    assert [e.description for e in chart.medications_current] == ["Salbutamol"]
    assert [e.description for e in chart.medications_past] == ["Codeine"]
    assert [e.description for e in chart.surgeries] == ["Appendectomy"]
    for text in ("Asthma", "Fracture", "Salbutamol", "Codeine", "Appendectomy", "Resolved"):
        assert text in response.text


def test_it_counts_distinct_medications_and_surgeries_case_and_blank_blind(login, doctor, patient):
    listed = MedicationCostFactory(name="Aspirin")
    for description in ("Aspirin", " aspirin ", "Metformin"):
        MedicalHistoryFactory(patient=patient, kind="medication", description=description)
    MedicalHistoryFactory(patient=patient, kind="medication", description="x", medication=listed)
    for description in ("Appendectomy", "APPENDECTOMY", "Tonsillectomy"):
        MedicalHistoryFactory(patient=patient, kind="surgery", description=description)
    MedicalHistoryFactory(kind="surgery", description="Someone else's")
    response = login(doctor).get(chart_url(patient))
    assert response.context["chart"].distinct_medications == 2
    assert response.context["chart"].distinct_surgeries == 2
    assert 'data-testid="distinct-medications">2<' in response.text
    assert 'data-testid="distinct-surgeries">2<' in response.text


def test_it_shows_past_visits_with_their_notes_and_upcoming_appointments(login, doctor, patient):
    visit = AttendanceFactory(
        appointment__patient=patient,
        appointment__doctor=doctor.doctor,
        appointment__start=today_at(9, days=-30),
        concerns="Headache",
        symptoms="Photophobia",
        diagnosis="Migraine",
        notes="Dark room advised",
        completed_at=today_at(9, 30, days=-30),
        started_at=today_at(9, 5, days=-30),
    )
    MedicalHistoryFactory(
        patient=patient, kind="medication", description="Sumatriptan", attendance=visit
    )
    upcoming = AppointmentFactory(patient=patient, start=today_at(10, days=7), reason="Review")
    response = login(doctor).get(chart_url(patient))
    visits = response.context["chart"].visits
    assert [v.attendance for v in visits] == [visit]
    assert [e.description for e in visits[0].medications] == ["Sumatriptan"]
    for text in ("Headache", "Photophobia", "Migraine", "Dark room advised", "Sumatriptan × 1"):
        assert text in response.text
    assert response.context["chart"].upcoming == [upcoming]
    assert "Review" in response.text


def _big_record(patient, doctor, *, visits: int, entries_per_visit: int, hour: int) -> None:
    """`visits` completed daily visits at `hour`, each with `entries_per_visit` history
    entries, in bulk."""
    start = timezone.make_aware(datetime.datetime(2020, 1, 6, hour, 0))
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            doctor=doctor,
            start=start + datetime.timedelta(days=n),
            end=start + datetime.timedelta(days=n, minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
        for n in range(visits)
    )
    attendances = Attendance.objects.bulk_create(
        Attendance(
            appointment=a,
            patient=patient,
            checked_in_at=a.start,
            started_at=a.start,
            completed_at=a.end,
            concerns=f"Concern {a.pk}",
            diagnosis=f"Diagnosis {a.pk}",
            notes="Notes",
        )
        for a in appointments
    )
    kinds = ["condition", "medication", "surgery", "allergy"]
    MedicalHistory.objects.bulk_create(
        MedicalHistory(
            patient=patient,
            kind=kinds[i % 4],
            description=f"Item {i % 50}",
            recorded_on=att.started_at.date(),
            attendance=att,
            quantity=1,
            ended_on=att.started_at.date()
            if i % 3 == 0 and kinds[i % 4] != "surgery" and kinds[i % 4] != "allergy"
            else None,
        )
        for att in attendances
        for i in range(entries_per_visit)
    )


def test_it_reads_a_chart_of_hundreds_of_visits_in_a_fixed_number_of_queries(
    login, doctor, django_assert_max_num_queries
):
    small, big = PatientFactory(), PatientFactory()
    _big_record(small, doctor.doctor, visits=1, entries_per_visit=1, hour=8)
    _big_record(big, doctor.doctor, visits=300, entries_per_visit=4, hour=9)
    client = login(doctor)
    client.get(chart_url(small))  # warm the session and permission caches alike

    with CaptureQueriesContext(connection) as few:
        assert client.get(chart_url(small)).status_code == 200
    with django_assert_max_num_queries(CHART_MAX_QUERIES):
        response = client.get(chart_url(big))
    assert response.status_code == 200
    chart = response.context["chart"]
    assert len(chart.visits) == LATEST and chart.visit_count == 300
    assert [len(chart.conditions_resolved), chart.conditions_resolved.total] == [LATEST, 300]
    assert 'data-testid="visit-count">300<' in response.text
    assert "All 300 visits, newest first" in response.text
    assert "All 300 resolved conditions" in response.text
    with CaptureQueriesContext(connection) as many:
        assert client.get(chart_url(big)).status_code == 200
    assert len(many) == len(few)  # no query per visit or entry


def test_a_new_patients_chart_costs_the_queries_of_a_long_record(login, doctor):
    new, long = PatientFactory(), PatientFactory()
    _big_record(long, doctor.doctor, visits=60, entries_per_visit=4, hour=9)
    AppointmentFactory(patient=long, start=today_at(10, days=7), reason="Review")
    client = login(doctor)
    client.get(chart_url(new))  # the session saved, caches warm: every chart alike from here

    with CaptureQueriesContext(connection) as for_new:
        response = client.get(chart_url(new))
    assert response.status_code == 200
    assert "No visits yet." in response.text
    with CaptureQueriesContext(connection) as for_long:
        response = client.get(chart_url(long))
    assert response.status_code == 200
    assert "All 60 visits, newest first" in response.text
    assert len(for_new) == len(for_long)  # nothing read only when there is something to show


def test_it_counts_the_visits_of_a_patient_with_no_history_entry(login, doctor, patient):
    for days in (-30, -20):
        AttendanceFactory(
            appointment__patient=patient,
            appointment__doctor=doctor.doctor,
            appointment__start=today_at(9, days=days),
            concerns=f"Concern {-days}",
        )
    response = login(doctor).get(chart_url(patient))
    assert response.context["chart"].visit_count == 2
    assert 'data-testid="visit-count">2<' in response.text
    assert "Concern 30" in response.text and "Concern 20" in response.text
    assert response.context["chart"].distinct_medications == 0


def test_the_older_visits_and_entries_page_by_key_each_once(login, doctor):
    patient = PatientFactory()
    _big_record(patient, doctor.doctor, visits=120, entries_per_visit=4, hour=9)
    client = login(doctor)
    newest = list(Attendance.objects.filter(patient=patient).order_by("-appointment__start", "-id"))

    visits_url = reverse("clinical:visit_list", args=[patient.pk])
    client.get(visits_url)  # the session saved, caches warm: every page alike from here
    seen, url, pages = [], visits_url, 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        pages += 1
        seen += [v.attendance.pk for v in response.context["page"].visits]
        following = response.context["page"].next_key
        url = f"{visits_url}?{urlencode({'before': following})}" if following else ""
        if pages == 1:
            first_queries = len(queries)
        else:
            assert len(queries) == first_queries  # a deep page costs what the first does
    assert seen == [a.pk for a in newest] and pages == 3  # 50, 50, 20

    resolved = list(
        MedicalHistory.objects.filter(patient=patient, kind="condition", ended_on__isnull=False)
        .order_by("-recorded_on", "-id")
        .values_list("pk", flat=True)
    )
    resolved_url = reverse("clinical:history_list", args=[patient.pk, "resolved"])
    seen, url = [], resolved_url
    while url:
        page = client.get(url).context["page"]
        seen += [e.pk for e in page.entries]
        url = f"{resolved_url}?{urlencode({'before': page.next_key})}" if page.next_key else ""
    assert seen == resolved
    # Each page read is one audit row: the warm-up, 3 pages of visits, 3 of resolved ones.
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="view").count() == 1 + 3 + 3


def test_a_list_page_reads_an_edited_key_as_the_first_page_and_no_other_list(login, doctor):
    patient = PatientFactory()
    client = login(doctor)
    visits = reverse("clinical:visit_list", args=[patient.pk])
    for bad in ("x", "2020-01-01_x", "2020-01-01T09:00_3", "9999-99-99T00:00+00:00_1", "_"):
        assert client.get(visits, {"before": bad}).status_code == 200
        history = reverse("clinical:history_list", args=[patient.pk, "surgeries"])
        assert client.get(history, {"before": bad}).status_code == 200
    assert (
        client.get(reverse("clinical:history_list", args=[patient.pk, "allergies"])).status_code
        == 404
    )


def test_it_marks_billable_medications_and_surgeries_only(login, doctor, patient):
    drug = MedicalHistoryFactory(
        patient=patient, kind=HistoryKind.MEDICATION, description="Metformin", is_billable=True
    )
    cast = MedicalHistoryFactory(
        patient=patient, kind=HistoryKind.SURGERY, description="Cast", is_billable=False
    )
    asthma = MedicalHistoryFactory(
        patient=patient, kind=HistoryKind.CONDITION, description="Asthma", is_billable=True
    )

    html = login(doctor).get(chart_url(patient)).content.decode()

    def row(entry) -> str:
        start = html.index(f'id="entry-{entry.pk}"')
        return html[start : html.index("</tr>", start)]

    assert "· billable" in row(drug)
    assert "· billable" not in row(cast)
    assert "· billable" not in row(asthma)
    assert [e.bills for e in (drug, cast, asthma)] == [True, False, False]


@pytest.mark.parametrize("nothing", ["N/A", "none", " - "])
def test_it_never_marks_an_entry_that_says_nothing_billable(login, doctor, patient, nothing):
    # Imported workbooks write "None", "N/A" or "-" for no medication or no surgery: the
    # billing rule charges nothing for them, so the chart does not call them billable.
    drug = MedicalHistoryFactory(
        patient=patient, kind=HistoryKind.MEDICATION, description="Metformin", is_billable=True
    )
    empty = MedicalHistoryFactory(
        patient=patient, kind=HistoryKind.SURGERY, description=nothing, is_billable=True
    )

    html = login(doctor).get(chart_url(patient)).content.decode()

    def row(entry) -> str:
        start = html.index(f'id="entry-{entry.pk}"')
        return html[start : html.index("</tr>", start)]

    assert "· billable" in row(drug)
    assert "· billable" not in row(empty)
    assert (drug.bills, empty.bills) == (True, False)
    assert list(MedicalHistory.objects.billable()) == [drug]


def test_a_corrected_or_new_entry_shows_at_once_though_the_tables_are_cached(
    login, doctor, patient
):
    """The chart's tables are cached by their entries' versions (the database raises an entry's
    version on any change, whoever writes): a correction, even one written past the services,
    and a new entry show on the next read."""
    asthma = MedicalHistoryFactory(patient=patient, kind="condition", description="Asthma")
    client = login(doctor)
    assert "Asthma" in client.get(chart_url(patient)).text

    MedicalHistory.objects.filter(pk=asthma.pk).update(description="Asthma, severe")
    assert "Asthma, severe" in client.get(chart_url(patient)).text

    MedicalHistoryFactory(patient=patient, kind="condition", description="Eczema")
    shown = client.get(chart_url(patient)).text
    assert "Asthma, severe" in shown and "Eczema" in shown
    assert reverse("clinical:history_correct", args=[asthma.pk]) in shown
