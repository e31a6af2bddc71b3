"""The table of tests/hms/test_url_access.py: every named URL of the project and each role's
outcome, in DESIGN.md's words (who may, who may not). Its parts: tests/hms/url_kit.py (roles,
outcomes, `Row`), tests/hms/url_table_money.py (money after issue)."""

from __future__ import annotations

from reports.registry import REPORTS
from tests.billing.conftest import fast_pdf  # noqa: F401 (a fixture the billing rows use)
from tests.hms.url_kit import (
    ADMIN,
    ADMIN_LOGIN,
    BAD,
    BILLING,
    BILLING_FORM,
    DENIED,
    DESK,
    EVERY_ROLE,
    FOUND,
    INVOICE_VIEWERS,
    LOGGED_OUT,
    LOGIN,
    MISSING,
    NOT_ALLOWED,
    OK,
    POST_ONLY,
    ROLES,
    Row,
    _csv,
    _pdf,
    _report_rows,
    allowed,
    expect,
)
from tests.hms.url_table_clinical import CLINICAL_ROWS
from tests.hms.url_table_fhir import FHIR_ROWS
from tests.hms.url_table_money import MONEY_ROWS

# Re-exported for the tests that read the table.
__all__ = [
    "ADMIN_LOGIN",
    "DENIED",
    "FOUND",
    "LOGGED_OUT",
    "LOGIN",
    "MISSING",
    "NOT_ALLOWED",
    "OK",
    "ROLES",
    "ROWS",
    "Row",
]

ROWS: list[Row] = [
    # --- Accounts and the home page ----------------------------------------------------------
    Row("home", expect(**EVERY_ROLE)),
    Row("login", expect(OK, anonymous=OK)),
    Row("healthz", expect(OK, anonymous=OK)),  # for load balancers: no login, no data
    Row("logout", expect(NOT_ALLOWED), post=expect(LOGGED_OUT, anonymous=LOGIN)),
    Row("password_change", expect(OK)),
    Row("password_change_done", expect(OK)),
    # Password reset only with outgoing mail set up (HMS_EMAIL_HOST), which the tests have not
    # (tests/hms/test_password_reset.py sets it up).
    Row("password_reset", expect(MISSING, anonymous=MISSING)),
    Row("password_reset_done", expect(MISSING, anonymous=MISSING)),
    Row(
        "password_reset_confirm",
        expect(MISSING, anonymous=MISSING),
        literal=("MQ", "no-such-token"),
    ),
    Row("password_reset_complete", expect(MISSING, anonymous=MISSING)),
    # --- Two-step sign-in: everyone their own; administrators reset others' ----------------
    # (force_login signs doctors and administrators in with their second factor given.)
    Row("accounts:two_step", expect(OK)),
    Row("accounts:verify", expect(FOUND)),  # nothing owed: on to the next page
    Row("accounts:enrol", expect(OK)),
    Row("accounts:recovery_codes", expect(FOUND)),  # none just made: to accounts:two_step
    Row("accounts:recovery_codes_new", POST_ONLY, post=expect(FOUND)),
    Row(
        "accounts:turn_off",
        POST_ONLY,
        # Required for doctors and administrators (HMS_2FA_REQUIRED_ROLES).
        post=expect(FOUND, doctor=DENIED, other_doctor=DENIED, admin_user=DENIED),
    ),
    # Passkeys (django-otp-webauthn's JSON steps): every signed-in user, their own only. A
    # step sent without the browser's answer is refused (400); a passkey that is not the
    # user's (here: none) is not found.
    *[
        Row(f"otp_webauthn:{step}", expect(NOT_ALLOWED), post=expect(status))
        for step, status in [
            ("credential-registration-begin", OK),
            ("credential-registration-complete", BAD),
            ("credential-authentication-begin", OK),
            ("credential-authentication-complete", BAD),
        ]
    ],
    Row("otp_webauthn:js-i18n-catalog", expect(OK)),
    Row("accounts:passkey_remove", POST_ONLY, literal=("999999",), post=expect(MISSING)),
    Row("accounts:staff_list", expect(**ADMIN)),
    Row(
        "accounts:staff_reset",
        POST_ONLY,
        args=("staff_member",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    # API tokens for the FHIR API: everyone their own (the token reads only what their role
    # reads). A new token is shown on the answer to the form; `api_token` is the desk's.
    Row("api_tokens:token_list", expect(OK)),
    Row(
        "api_tokens:token_create",
        POST_ONLY,
        post=expect(OK),
        data={"name": "Lab results", "lifetime_days": "90"},
    ),
    Row(
        "api_tokens:token_revoke",
        POST_ONLY,
        args=("api_token",),
        post=expect(MISSING, front_desk=FOUND),
    ),
    # --- Patients: every role views demographics; the desk registers and changes them --------
    Row("patients:patient_list", expect(**EVERY_ROLE)),
    Row("patients:patient_detail", expect(**EVERY_ROLE), args=("patient",)),
    Row("patients:patient_create", expect(**DESK), post=expect(**DESK)),
    Row("patients:patient_update", expect(**DESK), args=("patient",), post=expect(**DESK)),
    Row(
        "patients:patient_deactivate",
        expect(**DESK),
        args=("patient",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "patients:patient_reactivate",
        POST_ONLY,
        args=("patient",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # --- Doctors' timetables: the desk edits; a doctor views their own -----------------------
    Row("doctors:schedule_list", expect(front_desk=OK, doctor=OK, other_doctor=OK, admin_user=OK)),
    Row(
        "doctors:doctor_schedule",
        expect(front_desk=OK, doctor=OK, admin_user=OK),
        args=("own_doctor",),
    ),
    Row(
        "doctors:doctor_schedule",
        expect(MISSING, billing_clerk=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "doctors:working_hours_create",
        expect(**DESK),
        args=("own_doctor",),
        post=expect(**DESK),
    ),
    Row("doctors:working_hours_edit", expect(**DESK), args=("hours",), post=expect(**DESK)),
    Row(
        "doctors:working_hours_delete",
        expect(**DESK),
        args=("hours",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row("doctors:time_off_create", expect(**DESK), args=("own_doctor",), post=expect(**DESK)),
    Row(
        "doctors:time_off_delete",
        expect(**DESK),
        args=("time_off",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # --- Appointments: everyone views; the desk moves; a doctor marks their own no-shows -----
    Row("appointments:calendar_day", expect(**EVERY_ROLE)),
    Row("appointments:calendar_week", expect(**EVERY_ROLE)),
    Row("appointments:arrivals", expect(**EVERY_ROLE)),
    # The day list to print: the desk's of every doctor, a doctor's of their own only.
    Row("appointments:day_list", expect(**DESK, doctor=OK, other_doctor=OK)),
    Row(
        "appointments:day_list",
        expect(**DESK, doctor=OK),
        query="?doctor={own_doctor_code}",
        label="one doctor",
    ),
    Row("appointments:day_list_csv", expect(**DESK, doctor=OK, other_doctor=OK), check=_csv),
    Row(
        "appointments:day_list_csv",
        expect(**DESK, doctor=OK),
        query="?doctor={own_doctor_code}",
        label="one doctor",
        check=_csv,
    ),
    Row("appointments:appointment_detail", expect(**EVERY_ROLE), args=("appointment",)),
    Row(
        "appointments:appointment_detail",
        expect(MISSING, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "appointments:appointment_book",
        expect(**DESK),
        query="?patient={patient}",
        post=expect(**DESK),
        data={"patient": "{patient}", "action": "show"},
    ),
    # Without a patient, the booking page asks for one (a search as one types, below).
    Row("appointments:appointment_book", expect(**DESK), label="no patient"),
    Row("appointments:booking_patient", expect(**DESK), query="?q=abc"),
    Row(
        "appointments:booking_patient",
        expect(**DESK),
        query="?patient={patient}",
        label="picked",
    ),
    Row("appointments:slot_picker", expect(**DESK), query="?specialty={specialty}"),
    Row(
        "appointments:appointment_reschedule",
        expect(**DESK),
        args=("appointment",),
        post=expect(**DESK),
    ),
    # A drop on the day calendar (the free cell's doctor, day and time); a refusal or a move
    # both come back to the calendar (the redirect).
    Row(
        "appointments:appointment_move",
        POST_ONLY,
        post=expect(**allowed(DESK, FOUND)),
        data={"appointment": "{appointment}", "day": "2030-03-04", "time": "10:00"},
    ),
    Row(
        "appointments:appointment_cancel",
        expect(**DESK),
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
        data={"reason": "Patient called"},
    ),
    Row(
        "appointments:appointment_check_in",
        POST_ONLY,
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # Undo a check-in: the page asks first; the POST on a scheduled appointment is refused
    # with a message (the redirect), as the check-in is.
    Row(
        "appointments:appointment_undo_check_in",
        expect(**DESK),
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "appointments:appointment_no_show",
        POST_ONLY,
        args=("appointment",),
        post=expect(front_desk=FOUND, doctor=FOUND, admin_user=FOUND),
    ),
    # The check-in queue (issue 18). The waiting-room display is the one page without a login:
    # token numbers, rooms and doctors' public names, no patient's (all queues or one doctor's).
    Row("waiting_room:display", expect(OK, anonymous=OK)),
    Row(
        "waiting_room:display",
        expect(OK, anonymous=OK),
        args=("own_doctor_code",),
        label="one queue",
    ),
    Row("waiting_room:board", expect(OK, anonymous=OK)),
    Row("waiting_room:board", expect(OK, anonymous=OK), args=("own_doctor_code",), label="one"),
    # The token slip the desk prints at check-in; a doctor calls their own queue (an
    # administrator any), the desk checks in but does not call.
    Row("appointments:queue_ticket", expect(**DESK), args=("token_appointment",)),
    Row(
        "appointments:queue_call_next",
        POST_ONLY,
        args=("own_doctor",),
        post=expect(doctor=FOUND, admin_user=FOUND),
        data={"after": "0"},
    ),
    Row(
        "appointments:queue_recall",
        POST_ONLY,
        args=("own_doctor", "called_token"),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    # Recurring series (issue 18): the booking page's preview of a series (htmx, nothing
    # written), and the change form of an occurrence (on an appointment of no series: refused
    # with a message, the redirect).
    Row(
        "appointments:series_preview",
        POST_ONLY,
        post=expect(**DESK),
        data={"patient": "{patient}", "repeat": "on", "repeat_count": "3"},
    ),
    Row(
        "appointments:series_change",
        POST_ONLY,
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
        data={"action": "cancel", "scope": "one", "reason": "Patient called"},
    ),
    # A new repeat rule from an occurrence on (on an appointment of no series: sent back to it
    # with a message, the redirect, for the page and its preview alike).
    Row(
        "appointments:series_rule",
        expect(**allowed(DESK, FOUND)),
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
        data={
            "start": "2030-03-05T10:00",
            "interval": "1",
            "frequency": "WEEKLY",
            "end": "count",
            "count": "3",
            "action": "series_rule_preview",
        },
    ),
    # Messages to patients: the desk sends an appointment's details again.
    Row(
        "appointments:message_resend",
        POST_ONLY,
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # The waitlist: the desk's (those who book); a booked offer shows on the day calendar.
    Row("appointments:waitlist", expect(**DESK)),
    Row(
        "appointments:waitlist_add",
        expect(**DESK),
        post=expect(**DESK),  # the form again: no patient given
        data={"patient": ""},
    ),
    Row(
        "appointments:waitlist_edit",
        expect(**DESK),
        args=("waiter",),
        post=expect(**DESK),  # the form again: it names no doctor nor specialty
        data={"note": "Mornings"},
    ),
    Row(
        "appointments:waitlist_remove",
        POST_ONLY,
        args=("waiter",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "appointments:offer_book",
        POST_ONLY,
        args=("waitlist_offer",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "appointments:offer_pass",
        POST_ONLY,
        args=("waitlist_offer",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    *CLINICAL_ROWS,
    # --- Billing: clerks and administrators bill; the desk views and prints invoices ---------
    Row("billing:ready_to_bill", expect(**BILLING)),
    Row("billing:patient_billable", expect(**BILLING), args=("billed_patient",)),
    Row(
        "billing:invoice_draft_create",
        POST_ONLY,
        args=("billed_patient",),
        post=expect(**allowed(BILLING, FOUND)),
    ),
    Row("billing:invoice_list", expect(**INVOICE_VIEWERS)),
    Row(
        "billing:invoice_batch_pdf",
        expect(**INVOICE_VIEWERS),
        query="?ids={invoice}",
        check=_pdf,
    ),
    Row("billing:invoice_detail", expect(**INVOICE_VIEWERS), args=("invoice",)),
    Row("billing:invoice_detail", expect(**INVOICE_VIEWERS), args=("draft",), label="draft"),
    Row(
        "billing:invoice_detail",
        expect(MISSING, doctor=DENIED, other_doctor=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row("billing:invoice_pdf", expect(**INVOICE_VIEWERS), args=("invoice",), check=_pdf),
    Row("billing:invoice_print", expect(**INVOICE_VIEWERS), args=("invoice",)),
    *[
        Row(
            f"billing:{name}",
            POST_ONLY,
            args=args,
            post=expect(**allowed(BILLING, FOUND)),
            data=BILLING_FORM,
        )
        for name, args in [
            ("invoice_draft_refresh", ("draft",)),
            ("invoice_draft_update", ("draft",)),
            ("invoice_draft_delete", ("draft",)),
            ("invoice_line_create", ("draft",)),
            ("invoice_line_delete", ("draft", "line")),
            ("invoice_void", ("invoice",)),
            ("payment_create", ("invoice",)),
        ]
    ],
    # Issuing: GET is the confirmation (reads only); a POST without the confirmed total and
    # line count it sends issues nothing and shows the confirmation again.
    Row(
        "billing:invoice_issue",
        expect(**BILLING),
        args=("draft",),
        post=expect(**allowed(BILLING, BAD)),
        data=BILLING_FORM,
    ),
    *MONEY_ROWS,
    Row("billing:price_list", expect(**INVOICE_VIEWERS, doctor=OK, other_doctor=OK)),
    Row("billing:medicationcost_create", expect(**BILLING), post=expect(**BILLING)),
    Row(
        "billing:medicationcost_update",
        expect(**BILLING),
        args=("medication",),
        post=expect(**BILLING),
    ),
    Row("billing:procedurefee_create", expect(**BILLING), post=expect(**BILLING)),
    Row(
        "billing:procedurefee_update",
        expect(**BILLING),
        args=("procedure",),
        post=expect(**BILLING),
    ),
    # The desk reads the settings; only billing changes them.
    Row("billing:settings_edit", expect(**INVOICE_VIEWERS), post=expect(**BILLING)),
    # --- Imports: administrators only ---------------------------------------------------------
    Row("imports:upload", expect(**ADMIN), post=expect(**ADMIN)),
    Row("imports:upload_detail", expect(**ADMIN), args=("upload",)),
    Row("imports:upload_problems", expect(**ADMIN), args=("upload",), check=_csv),
    Row("imports:upload_changes", expect(**ADMIN), args=("upload",), check=_csv),
    Row(
        "imports:upload_confirm",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row(
        "imports:upload_discard",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row(
        "imports:upload_retry",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row(
        "imports:upload_resolve",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row("imports:workbook_format", expect(**ADMIN)),
    Row("imports:sample_workbook", expect(**ADMIN)),
    # --- Reports: each role its own (the registry's roles) -----------------------------------
    Row("reports:report_list", expect(**EVERY_ROLE)),
    Row("reports:doctor_options", expect(**EVERY_ROLE)),
    *[row for name in REPORTS for row in _report_rows(name)],
    Row(
        "reports:report_detail",
        expect(MISSING),
        literal=("no-such-report",),
        label="missing",
    ),
    *FHIR_ROWS,
    # --- Django's admin: administrators only; nobody writes the audit log ---------------------
    # Django's admin index names its own login page, so anonymous visitors land there; the
    # admin's model pages go through the site's login first.
    Row("admin:index", expect(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, admin_user=OK)),
    *[
        Row(name, expect(ADMIN_LOGIN, admin_user=status))
        for name, status in [
            ("admin:patients_patient_changelist", OK),
            ("admin:patients_medicalhistory_changelist", OK),
            ("admin:billing_invoice_changelist", OK),
            ("admin:auth_user_changelist", OK),
            ("admin:core_auditevent_changelist", OK),
            ("admin:core_auditevent_add", DENIED),
            ("admin:fhir_apitoken_changelist", OK),
            ("admin:fhir_apitoken_add", DENIED),
        ]
    ],
]
