from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    """Doctors' pages: the day list, the patient chart, visit recording and the audit trail.

    The clinical models stay where DESIGN.md puts them (patients.MedicalHistory,
    appointments.Attendance, hms.AuditEvent); this app holds the screens and workflows.
    """

    name = "clinical"
