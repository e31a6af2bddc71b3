"""Invoice PDFs (stored ones only), the print view, and batch printing."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from billing import pdf, selectors, services
from billing.access import BillingAccess, Need, get_billing_for_user
from billing.models import BatchStatus, InvoiceBatch
from billing.services.batches import invoice_batch_request
from core import audit

BATCH_LIMIT = 200
# Up to this many invoices print at once; more are put together by a job.
BATCH_AT_ONCE = 10


def _pdf_response(data: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF, as issued (or its VOID-stamped copy); never rendered again here."""
    access = get_billing_for_user(request, Need.VIEW_INVOICES, invoice_pk=pk, with_pdf=True)
    invoice = access.invoice
    if not invoice.is_draft and invoice.pdf is None:
        # Asked for before its job ran: the same service renders and stores it now.
        services.invoice_pdf_store(invoice_id=invoice.pk)
        invoice = selectors.stored_pdf(pk=invoice.pk)
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
    access = get_billing_for_user(request, Need.VIEW_INVOICES, invoice_pk=pk)
    context = pdf.invoice_context(access.invoice, for_print=True)
    invoice = access.invoice
    audit.audit_view(actor=request.user, patient_ids=[invoice.patient_id], obj=invoice)
    return render(request, "billing/invoice_print.html", context)


def invoice_batch_pdf(request: HttpRequest) -> HttpResponse:
    """One PDF of the selected invoices' stored PDFs (drafts have none and are left out)."""
    get_billing_for_user(request, Need.VIEW_INVOICES)
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    ids = [int(x) for x in request.GET.getlist("ids") if x.isascii() and x.isdigit()]
    ids = ids[:BATCH_LIMIT]
    if len(ids) > BATCH_AT_ONCE:  # more than a handful: a job puts them together
        batch = invoice_batch_request(ids=ids, by=request.user)
        return redirect(batch)
    found = selectors.invoices_for_batch(ids=ids)
    if any(i.pdf is None for i in found):  # issued a moment ago, job not run yet
        for invoice in found:
            if invoice.pdf is None:
                services.invoice_pdf_store(invoice_id=invoice.pk)
        found = selectors.invoices_for_batch(ids=ids)
    invoices = [i for i in found if i.void_pdf or i.pdf]
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


def _own_batch(request: HttpRequest, pk: int) -> tuple[InvoiceBatch, BillingAccess]:
    access = get_billing_for_user(request, Need.VIEW_INVOICES)
    batch = InvoiceBatch.objects.defer("pdf").filter(pk=pk).first()
    mine = batch is not None and batch.requested_by_id == request.user.pk
    if batch is None or not (mine or access.sees_every_cashier):
        raise Http404("No such batch.")
    return batch, access


def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the clerk waits for a batch (the page reloads itself until it is ready)."""
    batch, access = _own_batch(request, pk)
    # Why it failed is for administrators (and the log); a clerk is told what to do.
    context = {"batch": batch, "shows_error": access.sees_every_cashier}
    return render(request, "billing/batch_detail.html", context)


def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch, _ = _own_batch(request, pk)
    if batch.status != BatchStatus.READY:
        return redirect(batch)
    data = InvoiceBatch.objects.values_list("pdf", flat=True).get(pk=pk)
    numbers = [i.number for i in selectors.invoices_for_batch(ids=batch.invoice_ids)]
    audit.audit_record(
        actor=request.user,
        action=audit.Action.EXPORT,
        obj=batch,
        changes={"invoices": {"before": None, "after": numbers}},
    )
    stamp = timezone.localtime(batch.finished_at).strftime("%Y%m%d-%H%M")
    return _pdf_response(bytes(data), f"invoices-{stamp}.pdf", inline=False)
