"""The URL table's rows for the clinical pages: doctors read every chart; only a visit's own
doctor (or an administrator) runs it."""

from __future__ import annotations

from tests.hms.url_kit import (
    ADMIN,
    CLINICIANS,
    DENIED,
    FOUND,
    MISSING,
    OK,
    POST_ONLY,
    Row,
    _csv,
    _pdf,
    allowed,
    expect,
)

CLINICAL_ROWS: list[Row] = [
    # --- Clinical: doctors read every chart; only a visit's own doctor runs it ---------------
    Row("clinical:doctor_day", expect(**CLINICIANS)),
    Row("clinical:chart", expect(**CLINICIANS), args=("patient",)),
    # The chart's growing lists, a page at a time: the chart's readers.
    Row("clinical:history_list", expect(**CLINICIANS), args=("patient",), literal=("resolved",)),
    Row("clinical:visit_list", expect(**CLINICIANS), args=("patient",)),
    # Refused before the lookup: a role without the chart cannot probe which patients exist.
    Row(
        "clinical:chart",
        expect(MISSING, front_desk=DENIED, billing_clerk=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "clinical:history_create",
        expect(**CLINICIANS),
        args=("patient",),
        query="?kind=allergy",
        post=expect(**allowed(CLINICIANS, FOUND)),
        data={"description": "Penicillin", "recorded_on": "2024-01-01"},
    ),
    Row(
        "clinical:billable_items",
        expect(**CLINICIANS, billing_clerk=OK),
        args=("patient",),
    ),
    Row("clinical:patient_access_log", expect(**ADMIN), args=("patient",)),
    Row(
        "clinical:history_correct",
        expect(**CLINICIANS),
        args=("entry",),
        post=expect(**CLINICIANS),
    ),
    Row("clinical:history_revisions", expect(**CLINICIANS), args=("entry",)),
    # Coding a condition (a correction); the code picker's suggestions (no patient's data,
    # but only for those who record conditions).
    Row(
        "clinical:history_code",
        expect(**CLINICIANS),
        args=("entry",),
        post=expect(**allowed(CLINICIANS, FOUND)),
        data={"icd10": "J45.909"},
    ),
    Row("clinical:icd10_suggestions", expect(**CLINICIANS), query="?q=asthma"),
    Row(
        "clinical:visit_start",
        POST_ONLY,
        args=("waiting_appointment",),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    # Every doctor reads a visit; only its own doctor (or an administrator) records it.
    Row(
        "clinical:visit_record",
        expect(**CLINICIANS),
        args=("visit",),
        post=expect(doctor=FOUND, admin_user=FOUND),
        data={"diagnosis": "Sprain"},
    ),
    # Adding or removing an item shows the visit page again, with whatever else was typed.
    Row(
        "clinical:visit_item_add",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=OK, admin_user=OK),
        data={"kind": "surgery", "proc-description": "Splint"},
    ),
    Row(
        "clinical:visit_item_remove",
        POST_ONLY,
        args=("visit", "item"),
        post=expect(doctor=OK, admin_user=OK),
    ),
    # A note template fills the notes as typed (nothing saved): the whole page comes back.
    Row(
        "clinical:visit_template_apply",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=OK, admin_user=OK),
    ),
    Row(
        "clinical:visit_complete",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    # Recording vital signs shows the visit page again, with whatever else was typed.
    Row(
        "clinical:vitals_add",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=OK, admin_user=OK),
        data={"vit-pulse": "72"},
    ),
    # Prescribing: only the visit's own doctor (or an administrator); every doctor prints.
    Row(
        "clinical:prescription_add",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=OK, admin_user=OK),
        data={
            "rx-drug": "Paracetamol",
            "rx-dose": "500",
            "rx-dose_unit": "mg",
            "rx-route": "oral",
            "rx-frequency": "qid",
            "rx-duration_days": "3",
            "rx-quantity": "12",
        },
    ),
    Row(
        "clinical:prescription_line_remove",
        POST_ONLY,
        args=("visit", "rx_line"),
        post=expect(doctor=OK, admin_user=OK),
    ),
    Row("clinical:prescription_pdf", expect(**CLINICIANS), args=("rx_visit",), check=_pdf),
    Row("clinical:audit_list", expect(**ADMIN)),
    Row("clinical:audit_csv", expect(**ADMIN), check=_csv),
]
