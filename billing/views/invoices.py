"""Invoices: the list, the page, and every action on a draft or an issued invoice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing import forms, selectors, services
from billing.access import BillingAccess, Need, get_billing_for_user
from billing.models import BillingSettings, InvoiceLine, InvoiceStatus
from billing.views._common import PER_PAGE, errors
from billing.views.money import money_context
from core import audit
from core.forms import add_service_error
from core.templatetags.money import format_money


def invoice_list(request: HttpRequest) -> HttpResponse:
    access = get_billing_for_user(request, Need.VIEW_INVOICES)
    form = forms.InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    invoices = selectors.invoice_list(**filters, today=today)
    keys = {k: request.GET.get(k) or None for k in ("after", "before")}
    try:
        page = selectors.invoice_page(invoices, **keys, size=PER_PAGE)
    except ValueError:
        messages.warning(request, "That page link is no longer valid: here is the first page.")
        page = selectors.invoice_page(invoices, size=PER_PAGE)
    for invoice in page.object_list:
        invoice.state_key, invoice.state_label = invoice.payment_state(today)
    context = {
        "access": access,
        "form": form,
        "page": page,
        "totals": selectors.invoice_totals(invoices, **filters, today=today),
        # The hospital's, for the totals; each row shows its invoice's own (frozen at issue,
        # one of selectors.LIST_COLUMNS, so no query per row).
        "currency": BillingSettings.load().currency,
        "today": today,
    }
    return render(request, "billing/invoice_list.html", context)


def _detail_page(
    request: HttpRequest, access: BillingAccess, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """The invoice page with its action forms (`bound` ones show their errors)."""
    invoice = access.invoice
    lines = selectors.invoice_lines(invoice)
    url = lambda name: reverse(f"billing:{name}", args=[invoice.pk])  # noqa: E731
    context = {
        "access": access,
        "invoice": invoice,
        "lines": lines,
        "payments": selectors.invoice_payments(invoice),
        "state": invoice.payment_state(timezone.localdate()),
        "unpriced": sum(1 for line in lines if line.unpriced and line.is_active),
    }
    if invoice.is_draft and access.can_bill:
        context["line_form"] = bound.get("line_form") or forms.InvoiceLineForm(
            action=url("invoice_line_create")
        )
        context["due_form"] = bound.get("due_form") or forms.DueDateForm(
            initial={"due_date": invoice.due_date}, action=url("invoice_draft_update")
        )
        context["can_issue"] = True  # the Issue button leads to the confirmation page
    if invoice.status == InvoiceStatus.ISSUED and access.can_take_payment:
        context["payment_form"] = bound.get("payment_form") or forms.PaymentForm(
            initial={"amount": invoice.balance}, action=url("payment_create")
        )
    unpaid = invoice.status == InvoiceStatus.ISSUED and not invoice.paid_amount
    if unpaid and access.can_void:
        context["void_form"] = bound.get("void_form") or forms.InvoiceVoidForm(
            action=url("invoice_void")
        )
    context.update(money_context(access, bound))
    return render(request, "billing/invoice_detail.html", context, status=status)


def _invoice_action(
    request: HttpRequest,
    access: BillingAccess,
    service: Callable[[], object],
    done: str,
    *,
    form: BaseForm | None = None,
    form_name: str = "",
) -> HttpResponse:
    """Run one service call on the invoice, say `done` or why it was refused, and go back to
    the invoice page. With a `form`, an invalid one shows the invoice page again with its
    errors (as `form_name`, status 400) and the service is not called."""
    if form is not None and not form.is_valid():
        return _detail_page(request, access, status=400, **{form_name: form})
    try:
        service()
    except ValidationError as error:
        messages.error(request, errors(error))
    else:
        messages.success(request, done)
    return redirect(access.invoice)


def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.VIEW_INVOICES, invoice_pk=pk)
    # The lines name the medications and procedures the patient was given.
    invoice = access.invoice
    audit.audit_view(actor=request.user, patient_ids=[invoice.patient_id], obj=invoice)
    return _detail_page(request, access)


@require_POST
def invoice_draft_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    return _invoice_action(
        request,
        access,
        lambda: services.invoice_draft_refresh(invoice=access.invoice, by=request.user),
        "Items and prices refreshed from the price lists.",
    )


@require_POST
def invoice_draft_update(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    form = forms.DueDateForm(request.POST)
    return _invoice_action(
        request,
        access,
        lambda: services.invoice_draft_update(
            invoice=access.invoice, data=form.cleaned_data, by=request.user
        ),
        "Due date saved.",
        form=form,
        form_name="due_form",
    )


@require_POST
def invoice_draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    try:
        services.invoice_draft_delete(invoice=access.invoice, by=request.user)
    except ValidationError as error:
        messages.error(request, errors(error))
        return redirect(access.invoice)
    messages.success(request, "Draft deleted; its items are unbilled again.")
    return redirect("billing:ready_to_bill")


@require_POST
def invoice_line_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    form = forms.InvoiceLineForm(request.POST)
    return _invoice_action(
        request,
        access,
        lambda: services.invoice_line_add(
            invoice=access.invoice,
            description=form.cleaned_data["description"],
            amount=form.cleaned_data["amount"],
            discount=form.cleaned_data["kind"] == "discount",
            by=request.user,
        ),
        "Line added.",
        form=form,
        form_name="line_form",
    )


@require_POST
def invoice_line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=access.invoice)
    return _invoice_action(
        request,
        access,
        lambda: services.invoice_line_remove(line=line, by=request.user),
        f"Removed “{line.description}”; the item stays unbilled.",
    )


def _issue_page(
    request: HttpRequest,
    access: BillingAccess,
    *,
    form: forms.InvoiceIssueForm,
    confirmed: tuple[Any, Any] | None = None,
    changed: str = "",
    status: int = 200,
) -> HttpResponse:
    """The confirmation before issuing: what issuing freezes (as it would be issued now),
    that it cannot be undone, and the button that issues. The total and line count shown go
    back hidden (`confirmed`: the ones first shown, while a form error is corrected)."""
    invoice = access.invoice
    terms = services.invoice_issue_terms(invoice=invoice)
    total, lines = confirmed or (terms.total, terms.lines)
    context = {
        "access": access,
        "invoice": invoice,
        "terms": terms,
        "form": form,
        "confirmed_total": total,
        "confirmed_lines": lines,
        "changed": changed,
    }
    return render(request, "billing/invoice_issue_confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page (reads only). POST (its button): issue the draft through
    `services.invoice_issue`, which refuses it when it no longer has the line count and total
    the clerk confirmed; the page then shows the new figures and says nothing was issued."""
    access = get_billing_for_user(request, Need.BILL, invoice_pk=pk)
    if not access.invoice.is_draft:
        messages.info(request, f"{access.invoice} is already issued; nothing was changed.")
        return redirect(access.invoice)
    unpriced = access.invoice.lines.filter(unpriced=True).count()
    action = reverse("billing:invoice_issue", args=[pk])
    if request.method != "POST":
        form = forms.InvoiceIssueForm(unpriced=unpriced, action=action)
        return _issue_page(request, access, form=form)
    form = forms.InvoiceIssueForm(request.POST, unpriced=unpriced, action=action)
    if not form.is_valid():
        data = form.cleaned_data
        shown = data.get("confirmed_total"), data.get("confirmed_lines")
        return _issue_page(
            request, access, form=form, confirmed=shown if None not in shown else None, status=400
        )
    try:
        invoice = services.invoice_issue(
            invoice=access.invoice,
            by=request.user,
            confirmed_total=form.cleaned_data["confirmed_total"],
            confirmed_lines=form.cleaned_data["confirmed_lines"],
        )
    except services.DraftChanged as changed:
        fresh = forms.InvoiceIssueForm(unpriced=unpriced, action=action)
        return _issue_page(request, access, form=fresh, changed=errors(changed), status=409)
    except ValidationError as error:
        messages.error(request, errors(error))
        return redirect(access.invoice)
    total = format_money(invoice.total, invoice.currency)
    messages.success(
        request,
        f"Issued invoice {invoice.number} to {invoice.patient.full_name} for {total}. "
        "Its PDF is ready to download in a moment.",
    )
    return redirect(invoice)


@require_POST
def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.VOID, invoice_pk=pk)
    form = forms.InvoiceVoidForm(request.POST)
    return _invoice_action(
        request,
        access,
        lambda: services.invoice_void(
            invoice=access.invoice, reason=form.cleaned_data["reason"], by=request.user
        ),
        f"{access.invoice} is void; its items can be billed again.",
        form=form,
        form_name="void_form",
    )


@require_POST
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.TAKE_PAYMENT, invoice_pk=pk)
    form = forms.PaymentForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, status=400, payment_form=form)
    try:
        payment = services.payment_record(
            invoice=access.invoice,
            amount=form.cleaned_data["amount"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            received_at=form.received_at(),
            by=request.user,
        )
    except ValidationError as error:
        add_service_error(form, error)
        return _detail_page(request, access, status=400, payment_form=form)
    amount = format_money(payment.amount, access.invoice.currency)
    messages.success(request, f"Recorded {amount} by {payment.get_method_display()}.")
    return redirect(access.invoice)
