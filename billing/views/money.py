"""Money after issue: credit notes, account credit, deposits, refunds, the cashier's day."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing import cashier, forms_money, selectors
from billing.access import BillingAccess, Need, get_billing_for_user
from billing.models import BillingSettings, CashierDayClose, CreditNote, InvoiceStatus
from billing.services import money
from billing.views.documents import _pdf_response as pdf_response
from core import audit, roles
from core.forms import add_service_error
from core.templatetags.money import format_money


def money_context(access: BillingAccess, bound: dict[str, Any]) -> dict[str, Any]:
    """The invoice page's money after issue: its credit note, refunds, the account's credit."""
    invoice = access.invoice
    context: dict[str, Any] = {
        "credit_note": selectors.credit_note_of(invoice),
        "refunds": selectors.refunds_of(invoice),
    }
    if invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID) and access.can_credit:
        if invoice.total > 0:
            context["credit_form"] = bound.get("credit_form") or forms_money.CreditNoteForm(
                paid=invoice.paid_amount,
                action=reverse("billing:credit_note_create", args=[invoice.pk]),
            )
    if access.sees_account:
        held = money.account_balance(invoice.patient)
        context["account_held"] = held
        if invoice.status == InvoiceStatus.ISSUED and held > 0 and access.can_take_deposit:
            context["account_form"] = bound.get("account_form") or forms_money.AccountApplyForm(
                held=held,
                currency=invoice.currency,
                action=reverse("billing:account_apply", args=[invoice.pk]),
            )
    return context


def _invoice_page(request: HttpRequest, access: BillingAccess, **bound: Any) -> HttpResponse:
    from billing.views.invoices import _detail_page

    return _detail_page(request, access, status=400, **bound)


@require_POST
def credit_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.CREDIT, invoice_pk=pk)
    form = forms_money.CreditNoteForm(request.POST, paid=access.invoice.paid_amount)
    if not form.is_valid():
        return _invoice_page(request, access, credit_form=form)
    data = form.cleaned_data
    try:
        note = money.credit_note_issue(
            invoice=access.invoice,
            reason=data["reason"],
            settle=data.get("settle") or money.SETTLE_REFUND,
            refund_method=data.get("refund_method") or "",
            refund_reference=data.get("refund_reference") or "",
            by=request.user,
        )
    except ValidationError as error:
        add_service_error(form, error)
        return _invoice_page(request, access, credit_form=form)
    messages.success(
        request,
        f"Credit note {note.number} credits {access.invoice.number} in full; its items can be "
        "billed again on a corrected invoice.",
    )
    return redirect(access.invoice)


@require_POST
def account_apply(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.DEPOSIT, invoice_pk=pk)
    held = money.account_balance(access.invoice.patient)
    form = forms_money.AccountApplyForm(request.POST, held=held, currency=access.invoice.currency)
    if not form.is_valid():
        return _invoice_page(request, access, account_form=form)
    try:
        payment = money.account_apply(
            invoice=access.invoice, amount=form.cleaned_data["amount"], by=request.user
        )
    except ValidationError as error:
        add_service_error(form, error)
        return _invoice_page(request, access, account_form=form)
    used = format_money(payment.amount, access.invoice.currency)
    messages.success(request, f"Used {used} of the patient's account credit.")
    return redirect(access.invoice)


def credit_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    get_billing_for_user(request, Need.VIEW_INVOICES)
    note = CreditNote.objects.filter(pk=pk).select_related("invoice").first()
    if note is None:
        raise Http404("No such credit note.")
    audit.audit_view(actor=request.user, patient_ids=[note.patient_id], obj=note)
    return pdf_response(bytes(note.pdf), f"{note.number}.pdf", inline="inline" in request.GET)


# --- The patient's account ---------------------------------------------------------------------


def _account_page(
    request: HttpRequest, access: BillingAccess, *, status: int = 200, **bound: Any
) -> HttpResponse:
    patient = access.patient
    url = lambda name: reverse(f"billing:{name}", args=[patient.pk])  # noqa: E731
    context = {
        "access": access,
        "patient": patient,
        "held": money.account_balance(patient),
        "currency": BillingSettings.load().currency,
        "entries": selectors.account_entries(patient),
        "open_invoices": selectors.open_invoices_of(patient),
    }
    if access.can_take_deposit:
        context["deposit_form"] = bound.get("deposit_form") or forms_money.DepositForm(
            action=url("deposit_create")
        )
    if access.can_refund and context["held"] > 0:
        context["refund_form"] = bound.get("refund_form") or forms_money.AccountRefundForm(
            initial={"amount": context["held"]}, action=url("account_refund_create")
        )
    return render(request, "billing/patient_account.html", context, status=status)


def patient_account(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.VIEW_ACCOUNT, patient_pk=patient_pk)
    audit.audit_view(actor=request.user, patient_ids=[patient_pk], obj=access.patient)
    return _account_page(request, access)


@require_POST
def deposit_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.DEPOSIT, patient_pk=patient_pk)
    form = forms_money.DepositForm(request.POST)
    if not form.is_valid():
        return _account_page(request, access, status=400, deposit_form=form)
    try:
        entry = money.deposit_take(patient=access.patient, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        add_service_error(form, error)
        return _account_page(request, access, status=400, deposit_form=form)
    amount = format_money(entry.amount, BillingSettings.load().currency)
    messages.success(request, f"Deposit of {amount} taken; the account holds it.")
    return redirect("billing:patient_account", patient_pk=patient_pk)


@require_POST
def account_refund_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.REFUND, patient_pk=patient_pk)
    form = forms_money.AccountRefundForm(request.POST)
    if not form.is_valid():
        return _account_page(request, access, status=400, refund_form=form)
    try:
        refund = money.account_refund(patient=access.patient, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        add_service_error(form, error)
        return _account_page(request, access, status=400, refund_form=form)
    amount = format_money(refund.amount, BillingSettings.load().currency)
    messages.success(request, f"Refunded {amount} by {refund.get_method_display()}.")
    return redirect("billing:patient_account", patient_pk=patient_pk)


# --- The cashier's day -------------------------------------------------------------------------


def _cashiers() -> list[tuple[int, str]]:
    users = get_user_model().objects.filter(
        groups__name__in=[roles.BILLING_CLERK, roles.ADMINISTRATOR], is_active=True
    )
    return [(u.pk, u.get_full_name() or u.username) for u in users.distinct().order_by("username")]


def _chosen(request: HttpRequest, access: BillingAccess, data: Any) -> tuple[Any, Any, Any]:
    everyone = _cashiers() if access.sees_every_cashier else None
    form = forms_money.CashierDayForm(data, cashiers=everyone)
    valid = form.is_valid()
    day = (form.cleaned_data.get("day") if valid else None) or timezone.localdate()
    who = request.user
    wanted = form.cleaned_data.get("cashier") if valid else None
    if wanted and everyone is not None:
        who = get_user_model().objects.filter(pk=wanted).first() or request.user
    return form, day, who


def cashier_day(request: HttpRequest) -> HttpResponse:
    access = get_billing_for_user(request, Need.CASHIER_DAY)
    form, day, who = _chosen(request, access, request.GET or None)
    return _day_page(request, access, form, day, who)


def _day_page(request, access, form, day, who, *, status=200, close_form=None) -> HttpResponse:
    figures = cashier.cashier_day(cashier=who, day=day)
    # The movements name patients: a read of who paid what.
    patient_ids = figures.patient_ids
    if patient_ids:
        audit.audit_view(actor=request.user, patient_ids=patient_ids)
    context = {
        "access": access,
        "form": form,
        "figures": figures,
        "cashier_name": who.get_full_name() or who.username,
        "currency": BillingSettings.load().currency,
        "close_form": None,
    }
    if figures.closed is None and day <= timezone.localdate():
        context["close_form"] = close_form or forms_money.DayCloseForm(
            action=reverse("billing:cashier_day_close")
            + f"?day={day:%Y-%m-%d}"
            + (f"&cashier={who.pk}" if who != request.user else "")
        )
    return render(request, "billing/cashier_day.html", context, status=status)


@require_POST
def cashier_day_close(request: HttpRequest) -> HttpResponse:
    access = get_billing_for_user(request, Need.CASHIER_DAY)
    form, day, who = _chosen(request, access, request.GET or None)
    close_form = forms_money.DayCloseForm(request.POST)
    if not close_form.is_valid():
        return _day_page(request, access, form, day, who, status=400, close_form=close_form)
    try:
        cashier.cashier_day_close(
            cashier=who,
            day=day,
            counted_cash=close_form.cleaned_data["counted_cash"],
            by=request.user,
        )
    except ValidationError as error:
        add_service_error(close_form, error)
        return _day_page(request, access, form, day, who, status=400, close_form=close_form)
    messages.success(request, f"Closed the day {day:%Y-%m-%d}; its sheet is ready to print.")
    query = f"?day={day:%Y-%m-%d}" + (f"&cashier={who.pk}" if who != request.user else "")
    return redirect(reverse("billing:cashier_day") + query)


def day_close_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.CASHIER_DAY)
    close = CashierDayClose.objects.filter(pk=pk).first()
    if close is None:
        raise Http404("No such day close.")
    if close.cashier_id != request.user.pk and not access.sees_every_cashier:
        raise PermissionDenied("A cashier prints their own day's sheet.")
    audit.audit_view(actor=request.user, patient_ids=[], obj=close)
    name = f"day-close-{close.day:%Y-%m-%d}-{close.cashier_id}.pdf"
    return pdf_response(bytes(close.pdf), name, inline="inline" in request.GET)
