"""Billing pages: ready to bill, invoices (draft review, issue, payments, void, PDFs, print),
price lists and settings. Each view: `billing_access` first, then a form, one service call,
a message and a redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing import access as perms
from billing import forms, pdf, selectors, services
from billing.access import BillingAccess, billing_access
from billing.models import BillingSettings, InvoiceLine, InvoiceStatus, MedicationCost, ProcedureFee
from hms import audit

PER_PAGE = 50
BATCH_LIMIT = 200


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# --- Ready to bill ---------------------------------------------------------------------------


def ready_to_bill(request: HttpRequest) -> HttpResponse:
    billing_access(request, perms.BILL)
    form = forms.ReadyToBillFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    number = _page_number(request)
    page = selectors.ready_to_bill(
        q=filters.get("q") or "",
        since=filters.get("since"),
        unpriced_only=bool(filters.get("unpriced")),
        limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE,
    )
    context = {
        "form": form,
        "page": page,
        "number": number,
        "has_next": number * PER_PAGE < page.count,
        "page_total": sum((row.preview.total for row in page.rows), start=0),
    }
    return render(request, "billing/patient_ready_to_bill.html", context)


def patient_billable(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, patient_pk=patient_pk)
    preview = selectors.billing_preview(patient=access.patient)
    context = {"patient": access.patient, "preview": preview}
    return render(request, "billing/patient_billable.html", context)


@require_POST
def invoice_draft_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, patient_pk=patient_pk)
    try:
        invoice = services.invoice_draft_for_patient(
            patient=access.patient, created_by=request.user
        )
    except services.DraftExists as exists:
        messages.warning(request, _errors(exists))
        if exists.invoice is not None:
            return redirect(exists.invoice)
        return redirect("billing:ready_to_bill")
    messages.success(request, f"Drafted {invoice} for {access.patient.full_name}: review it.")
    return redirect(invoice)


# --- Invoices ----------------------------------------------------------------------------


def invoice_list(request: HttpRequest) -> HttpResponse:
    access = billing_access(request, perms.VIEW_INVOICES)
    form = forms.InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    invoices = selectors.invoice_list(**filters, today=today)
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    for invoice in page.object_list:
        invoice.state_key, invoice.state_label = invoice.payment_state(today)
    context = {
        "access": access,
        "form": form,
        "page": page,
        "totals": selectors.invoice_totals(invoices),
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
        context["issue_form"] = bound.get("issue_form") or forms.InvoiceIssueForm(
            unpriced=context["unpriced"], action=url("invoice_issue")
        )
    if invoice.status == InvoiceStatus.ISSUED and access.can_take_payment:
        context["payment_form"] = bound.get("payment_form") or forms.PaymentForm(
            initial={"amount": invoice.balance}, action=url("payment_create")
        )
    if invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID) and access.can_void:
        context["void_form"] = bound.get("void_form") or forms.InvoiceVoidForm(
            action=url("invoice_void")
        )
    return render(request, "billing/invoice_detail.html", context, status=status)


def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.VIEW_INVOICES, invoice_pk=pk)
    return _detail_page(request, access)


@require_POST
def invoice_draft_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    try:
        services.invoice_draft_refresh(invoice=access.invoice, refreshed_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, "Items and prices refreshed from the price lists.")
    return redirect(access.invoice)


@require_POST
def invoice_draft_update(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    form = forms.DueDateForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, status=400, due_form=form)
    try:
        services.invoice_draft_update(
            invoice=access.invoice, data=form.cleaned_data, updated_by=request.user
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, "Due date saved.")
    return redirect(access.invoice)


@require_POST
def invoice_draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    try:
        services.invoice_draft_delete(invoice=access.invoice, deleted_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(access.invoice)
    messages.success(request, "Draft deleted; its items are unbilled again.")
    return redirect("billing:ready_to_bill")


@require_POST
def invoice_line_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    form = forms.InvoiceLineForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, status=400, line_form=form)
    try:
        services.invoice_line_add(
            invoice=access.invoice,
            description=form.cleaned_data["description"],
            amount=form.cleaned_data["amount"],
            discount=form.cleaned_data["kind"] == "discount",
            added_by=request.user,
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, "Line added.")
    return redirect(access.invoice)


@require_POST
def invoice_line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=access.invoice)
    try:
        services.invoice_line_remove(line=line, removed_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"Removed “{line.description}”; the item stays unbilled.")
    return redirect(access.invoice)


@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.BILL, invoice_pk=pk)
    unpriced = access.invoice.lines.filter(unpriced=True).count()
    form = forms.InvoiceIssueForm(request.POST, unpriced=unpriced)
    if not form.is_valid():
        return _detail_page(request, access, status=400, issue_form=form)
    try:
        invoice = services.invoice_issue(invoice=access.invoice, issued_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(access.invoice)
    messages.success(request, f"Issued {invoice}; its PDF is stored.")
    return redirect(invoice)


@require_POST
def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.VOID, invoice_pk=pk)
    form = forms.InvoiceVoidForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, status=400, void_form=form)
    try:
        services.invoice_void(
            invoice=access.invoice, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"{access.invoice} is void; its items can be billed again.")
    return redirect(access.invoice)


@require_POST
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.TAKE_PAYMENT, invoice_pk=pk)
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
            received_by=request.user,
        )
    except ValidationError as error:
        for field, problems in getattr(error, "error_dict", {}).items():
            form.add_error(field if field in form.fields else None, problems)
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
        return _detail_page(request, access, status=400, payment_form=form)
    messages.success(request, f"Recorded {payment.amount} by {payment.get_method_display()}.")
    return redirect(access.invoice)


# --- PDFs and printing ------------------------------------------------------------------


def _pdf_response(data: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF, as issued (or its VOID-stamped copy); never rendered again here."""
    access = billing_access(request, perms.VIEW_INVOICES, invoice_pk=pk, with_pdf=True)
    invoice = access.invoice
    stamped = invoice.is_void and invoice.void_pdf and request.GET.get("original") != "1"
    data, digest = (
        (invoice.void_pdf, invoice.void_pdf_sha256)
        if stamped
        else (invoice.pdf, invoice.pdf_sha256)
    )
    if not data:
        raise Http404("Only an issued invoice has a PDF.")
    audit.audit_record(
        actor=request.user,
        action=audit.Action.EXPORT,
        obj=invoice,
        changes={"pdf": {"before": None, "after": digest}},
    )
    name = f"{invoice.number}{'-VOID' if stamped else ''}.pdf"
    response = _pdf_response(bytes(data), name, inline=request.GET.get("inline") == "1")
    response["ETag"] = f'"{digest}"'
    return response


def invoice_print(request: HttpRequest, pk: int) -> HttpResponse:
    access = billing_access(request, perms.VIEW_INVOICES, invoice_pk=pk)
    context = pdf.invoice_context(access.invoice, for_print=True)
    return render(request, "billing/invoice_print.html", context)


def invoice_batch_pdf(request: HttpRequest) -> HttpResponse:
    """One PDF of the selected invoices' stored PDFs (drafts have none and are left out)."""
    billing_access(request, perms.VIEW_INVOICES)
    ids = [int(x) for x in request.GET.getlist("ids") if x.isdigit()][:BATCH_LIMIT]
    invoices = [i for i in selectors.invoices_for_batch(ids=ids) if i.void_pdf or i.pdf]
    if not invoices:
        messages.warning(request, "Tick one or more issued invoices to print them together.")
        return redirect("billing:invoice_list")
    audit.audit_record(
        actor=request.user,
        action=audit.Action.EXPORT,
        changes={"invoices": {"before": None, "after": [i.number for i in invoices]}},
    )
    merged = pdf.merge(bytes(i.void_pdf or i.pdf) for i in invoices)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _pdf_response(merged, f"invoices-{stamp}.pdf", inline=False)


# --- Price lists and settings ----------------------------------------------------------------


def price_list(request: HttpRequest) -> HttpResponse:
    access = billing_access(request, perms.VIEW_MEDICATIONS)
    form = forms.PriceSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    q, inactive = filters.get("q") or "", bool(filters.get("inactive"))
    context = {
        "access": access,
        "form": form,
        "medications": selectors.medication_prices(q=q, include_inactive=inactive)[:500],
        "procedures": (
            selectors.procedure_fees(q=q, include_inactive=inactive)[:500]
            if access.sees_procedures
            else None
        ),
        "settings": BillingSettings.load() if access.sees_settings else None,
    }
    return render(request, "billing/price_list.html", context)


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(fallback)


def _price_form_page(
    request: HttpRequest, *, form_class: type, obj: Any, save: Any, what: str
) -> HttpResponse:
    """Add or change one price-list row through its service (shared by both lists)."""
    # "Add to price list" from an unpriced line brings the medication's name along.
    initial = {"name": request.GET["name"]} if obj is None and request.GET.get("name") else None
    form = form_class(request.POST or None, instance=obj, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            saved = save(data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {what} “{saved.name}”.")
            return redirect(_next_or(request, "billing:price_list"))
    context = {
        "form": form,
        "what": what,
        "obj": obj,
        "next": _next_or(request, "billing:price_list"),
    }
    return render(request, f"billing/{form_class.Meta.model._meta.model_name}_form.html", context)


def medicationcost_create(request: HttpRequest) -> HttpResponse:
    billing_access(request, perms.ADD_MEDICATION)
    return _price_form_page(
        request,
        form_class=forms.MedicationCostForm,
        obj=None,
        save=lambda data: services.medication_cost_save(data=data, saved_by=request.user),
        what="medication price",
    )


def medicationcost_update(request: HttpRequest, pk: int) -> HttpResponse:
    billing_access(request, perms.EDIT_MEDICATION)
    medication = get_object_or_404(MedicationCost, pk=pk)
    return _price_form_page(
        request,
        form_class=forms.MedicationCostForm,
        obj=medication,
        save=lambda data: services.medication_cost_save(
            medication=medication, data=data, saved_by=request.user
        ),
        what="medication price",
    )


def procedurefee_create(request: HttpRequest) -> HttpResponse:
    billing_access(request, perms.ADD_PROCEDURE)
    return _price_form_page(
        request,
        form_class=forms.ProcedureFeeForm,
        obj=None,
        save=lambda data: services.procedure_fee_save(data=data, saved_by=request.user),
        what="procedure fee",
    )


def procedurefee_update(request: HttpRequest, pk: int) -> HttpResponse:
    billing_access(request, perms.EDIT_PROCEDURE)
    procedure = get_object_or_404(ProcedureFee, pk=pk)
    return _price_form_page(
        request,
        form_class=forms.ProcedureFeeForm,
        obj=procedure,
        save=lambda data: services.procedure_fee_save(
            procedure=procedure, data=data, saved_by=request.user
        ),
        what="procedure fee",
    )


def settings_edit(request: HttpRequest) -> HttpResponse:
    need = perms.EDIT_SETTINGS if request.method == "POST" else perms.VIEW_SETTINGS
    access = billing_access(request, need)
    current = BillingSettings.load()
    form = forms.BillingSettingsForm(
        request.POST or None, instance=current, read_only=not access.can_edit_settings
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.billing_settings_update(data=data, updated_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Billing settings saved; issued invoices keep theirs.")
            return redirect("billing:settings_edit")
    return render(request, "billing/billingsettings_form.html", {"form": form, "access": access})
