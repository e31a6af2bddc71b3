"""Who may do what in billing. `billing_access` is the first line of every billing view.

Roles (DESIGN.md): billing clerks and administrators do everything; front desk views invoices,
prints them and views the price lists and settings; doctors view the medication prices only;
anyone else gets 403. The permissions come from `core.roles`; the one rule on top of them is
that doctors do not see procedure fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from billing import selectors
from billing.models import Invoice
from core import roles
from patients.models import Patient

VIEW_INVOICES = "billing.view_invoice"
BILL = "billing.add_invoice"
VOID = "billing.change_invoice"
TAKE_PAYMENT = "billing.add_payment"
VIEW_MEDICATIONS = "billing.view_medicationcost"
ADD_MEDICATION = "billing.add_medicationcost"
EDIT_MEDICATION = "billing.change_medicationcost"
VIEW_PROCEDURES = "billing.view_procedurefee"
ADD_PROCEDURE = "billing.add_procedurefee"
EDIT_PROCEDURE = "billing.change_procedurefee"
VIEW_SETTINGS = "billing.view_billingsettings"
EDIT_SETTINGS = "billing.change_billingsettings"


@dataclass(frozen=True)
class BillingAccess:
    user: Any
    invoice: Invoice | None = None
    patient: Patient | None = None

    def _can(self, permission: str) -> bool:
        return self.user.has_perm(permission)

    @property
    def can_bill(self) -> bool:
        return self._can(BILL)

    @property
    def can_void(self) -> bool:
        return self._can(VOID)

    @property
    def can_take_payment(self) -> bool:
        return self._can(TAKE_PAYMENT)

    @property
    def can_add_medications(self) -> bool:
        return self._can(ADD_MEDICATION)

    @property
    def can_edit_medications(self) -> bool:
        return self._can(EDIT_MEDICATION)

    @property
    def can_add_procedures(self) -> bool:
        return self._can(ADD_PROCEDURE)

    @property
    def can_edit_procedures(self) -> bool:
        return self._can(EDIT_PROCEDURE)

    @property
    def sees_procedures(self) -> bool:
        return self._can(VIEW_PROCEDURES) and roles.role_of(self.user) != roles.DOCTOR

    @property
    def sees_settings(self) -> bool:
        return self._can(VIEW_SETTINGS)

    @property
    def can_edit_settings(self) -> bool:
        return self._can(EDIT_SETTINGS)


def billing_access(
    request: HttpRequest,
    need: str,
    *,
    invoice_pk: int | None = None,
    patient_pk: int | None = None,
    with_pdf: bool = False,
) -> BillingAccess:
    """The user's billing rights, after checking `need` (a permission): PermissionDenied
    without it, Http404 for an unknown invoice or patient. `with_pdf` loads the stored PDF
    columns only (serving a download), otherwise the invoice comes ready for its page."""
    access = BillingAccess(user=request.user)
    if need in (VIEW_PROCEDURES, ADD_PROCEDURE, EDIT_PROCEDURE) and not access.sees_procedures:
        raise PermissionDenied("Procedure fees are for billing and the front desk.")
    if not request.user.has_perm(need):
        raise PermissionDenied("Your role cannot do this in billing.")
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
