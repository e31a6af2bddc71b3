"""The clinical pages. Each view calls `clinical.access` first; reads of clinical content write
one audit row (a GET costs exactly one audit INSERT), writes go through `clinical.services`."""

from clinical.views.prescriptions import (
    prescription_add,
    prescription_line_remove,
    prescription_pdf_view,
)
from clinical.views.records import (
    audit_csv,
    audit_list,
    billable_items,
    chart,
    doctor_day,
    history_correct,
    history_create,
    history_revisions,
    patient_access_log,
)
from clinical.views.visit import (
    visit_complete,
    visit_item_add,
    visit_item_remove,
    visit_record,
    visit_start,
)
from clinical.views.vitals import vitals_add

__all__ = [
    "audit_csv",
    "audit_list",
    "billable_items",
    "chart",
    "doctor_day",
    "history_correct",
    "history_create",
    "history_revisions",
    "patient_access_log",
    "prescription_add",
    "prescription_line_remove",
    "prescription_pdf_view",
    "visit_complete",
    "visit_item_add",
    "visit_item_remove",
    "visit_record",
    "visit_start",
    "vitals_add",
]
