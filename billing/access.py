"""Who may do what in billing. `get_billing_for_user` is the first line of every billing view.

Roles (DESIGN.md): billing clerks and administrators do everything; front desk views invoices,
prints them and views the price lists and settings; doctors view the medication prices only;
anyone else gets 403. The permissions come from `core.roles`; the one rule on top of them is
that doctors do not see procedure fees.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from billing import selectors
from billing.models import Invoice
from core import roles
from core.access import AccessTable
from patients.models import Patient


class Need(enum.Enum):
    VIEW_INVOICES = "see and print invoices"
    BILL = "draft, change and issue invoices"
    VOID = "void invoices"
    TAKE_PAYMENT = "record payments"
    CREDIT = "issue credit notes and refunds"
    VIEW_ACCOUNT = "see a patient's account"
    DEPOSIT = "take deposits and use account credit"
    REFUND = "refund money held on a patient's account"
    CASHIER_DAY = "see and close the cashier's day"
    VIEW_MEDICATIONS = "see medication prices"
    ADD_MEDICATION = "add medication prices"
    EDIT_MEDICATION = "change medication prices"
    VIEW_PROCEDURES = "see procedure fees"
    ADD_PROCEDURE = "add procedure fees"
    EDIT_PROCEDURE = "change procedure fees"
    VIEW_SETTINGS = "see the billing settings"
    EDIT_SETTINGS = "change the billing settings"


TABLE = AccessTable(
    Need,
    {
        Need.VIEW_INVOICES: ("billing.view_invoice",),
        Need.BILL: ("billing.view_invoice", "billing.add_invoice"),
        Need.VOID: ("billing.view_invoice", "billing.change_invoice"),
        Need.TAKE_PAYMENT: ("billing.view_invoice", "billing.add_payment"),
        Need.CREDIT: ("billing.view_invoice", "billing.add_creditnote", "billing.add_refund"),
        Need.VIEW_ACCOUNT: ("billing.view_accountentry",),
        Need.DEPOSIT: ("billing.view_accountentry", "billing.add_accountentry"),
        Need.REFUND: ("billing.view_accountentry", "billing.add_refund"),
        Need.CASHIER_DAY: ("billing.view_cashierdayclose", "billing.add_cashierdayclose"),
        Need.VIEW_MEDICATIONS: ("billing.view_medicationcost",),
        Need.ADD_MEDICATION: ("billing.view_medicationcost", "billing.add_medicationcost"),
        Need.EDIT_MEDICATION: ("billing.view_medicationcost", "billing.change_medicationcost"),
        # Doctors hold view_procedurefee (for recording procedures) but see no fees here:
        # BillingAccess.sees_procedures.
        Need.VIEW_PROCEDURES: ("billing.view_procedurefee",),
        Need.ADD_PROCEDURE: ("billing.view_procedurefee", "billing.add_procedurefee"),
        Need.EDIT_PROCEDURE: ("billing.view_procedurefee", "billing.change_procedurefee"),
        Need.VIEW_SETTINGS: ("billing.view_billingsettings",),
        Need.EDIT_SETTINGS: ("billing.view_billingsettings", "billing.change_billingsettings"),
    },
)
has_need = TABLE.allows
_PROCEDURE_NEEDS = (Need.VIEW_PROCEDURES, Need.ADD_PROCEDURE, Need.EDIT_PROCEDURE)


@dataclass(frozen=True)
class BillingAccess:
    user: Any
    invoice: Invoice | None = None
    patient: Patient | None = None

    def _can(self, need: Need) -> bool:
        return has_need(self.user, need)

    @property
    def can_bill(self) -> bool:
        return self._can(Need.BILL)

    @property
    def can_void(self) -> bool:
        return self._can(Need.VOID)

    @property
    def can_take_payment(self) -> bool:
        return self._can(Need.TAKE_PAYMENT)

    @property
    def can_credit(self) -> bool:
        return self._can(Need.CREDIT)

    @property
    def sees_account(self) -> bool:
        return self._can(Need.VIEW_ACCOUNT)

    @property
    def can_take_deposit(self) -> bool:
        return self._can(Need.DEPOSIT)

    @property
    def can_refund(self) -> bool:
        return self._can(Need.REFUND)

    @property
    def sees_every_cashier(self) -> bool:
        """Administrators read and close any cashier's day; a clerk their own."""
        return roles.role_of(self.user) == roles.ADMINISTRATOR or self.user.is_superuser

    @property
    def sees_pdf_fingerprint(self) -> bool:
        """The stored PDF's SHA-256 is for administrators checking a copy (the audit log and
        the admin keep it too); clerks and the desk are told the PDF is stored, in words."""
        return self.sees_every_cashier

    @property
    def can_add_medications(self) -> bool:
        return self._can(Need.ADD_MEDICATION)

    @property
    def can_edit_medications(self) -> bool:
        return self._can(Need.EDIT_MEDICATION)

    @property
    def can_add_procedures(self) -> bool:
        return self._can(Need.ADD_PROCEDURE)

    @property
    def can_edit_procedures(self) -> bool:
        return self._can(Need.EDIT_PROCEDURE)

    @property
    def sees_procedures(self) -> bool:
        return self._can(Need.VIEW_PROCEDURES) and roles.role_of(self.user) != roles.DOCTOR

    @property
    def sees_settings(self) -> bool:
        return self._can(Need.VIEW_SETTINGS)

    @property
    def can_edit_settings(self) -> bool:
        return self._can(Need.EDIT_SETTINGS)


def get_billing_for_user(
    request: HttpRequest,
    need: Need,
    *,
    invoice_pk: int | None = None,
    patient_pk: int | None = None,
    with_pdf: bool = False,
) -> BillingAccess:
    """The user's billing rights, with the invoice or patient asked for, after checking
    `need`: PermissionDenied without it (before any lookup), Http404 for an unknown invoice
    or patient. `with_pdf` loads the stored PDF columns only (serving a download), otherwise
    the invoice comes ready for its page."""
    access = BillingAccess(user=request.user)
    if need in _PROCEDURE_NEEDS and not access.sees_procedures:
        raise PermissionDenied("Procedure fees are for billing and the front desk.")
    TABLE.require(request, need)
    invoice = patient = None
    if invoice_pk is not None:
        try:
            if with_pdf:
                invoice = selectors.stored_pdf(pk=invoice_pk)
            else:
                invoice = selectors.invoice_for_page(pk=invoice_pk)
        except Invoice.DoesNotExist:
            raise Http404("No such invoice.") from None
    if patient_pk is not None:
        patient = Patient.objects.filter(pk=patient_pk).first()
        if patient is None:
            raise Http404("No such patient.")
    return BillingAccess(user=request.user, invoice=invoice, patient=patient)
