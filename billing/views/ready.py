"""Ready to bill: patients with unbilled items, their preview, and drafting."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing import forms, selectors, services
from billing.access import Need, get_billing_for_user
from billing.views._common import PER_PAGE, errors
from core import audit


def ready_to_bill(request: HttpRequest) -> HttpResponse:
    get_billing_for_user(request, Need.BILL)
    form = forms.ReadyToBillFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = {
        "q": filters.get("q") or "",
        "since": filters.get("since"),
        "unpriced_only": bool(filters.get("unpriced")),
        "limit": PER_PAGE,
    }
    keys = {"after": request.GET.get("after") or None, "before": request.GET.get("before") or None}
    keyed = bool(keys["after"] or keys["before"])  # a page past the first
    try:
        page = selectors.ready_to_bill(**query, **keys)
    except ValueError:  # edited, cut short, or from another list: nothing was read yet
        messages.warning(request, "That page link is out of date: here is the first page.")
        page, keyed = selectors.ready_to_bill(**query), False
    context = {
        "form": form,
        "page": page,
        "keyed": keyed,
        "page_total": sum((row.preview.total for row in page.rows), start=0),
    }
    return render(request, "billing/patient_ready_to_bill.html", context)


def patient_billable(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, patient_pk=patient_pk)
    preview = selectors.billing_preview(patient=access.patient)
    context = {"patient": access.patient, "preview": preview, "access": access}
    if access.sees_account:
        context["account_held"] = services.account_balance(access.patient)
    # The items are the patient's medications and procedures: a read of clinical content.
    audit.audit_view(actor=request.user, patient_ids=[access.patient.pk], obj=access.patient)
    return render(request, "billing/patient_billable.html", context)


@require_POST
def invoice_draft_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    access = get_billing_for_user(request, Need.BILL, patient_pk=patient_pk)
    try:
        invoice = services.invoice_draft_for_patient(patient=access.patient, by=request.user)
    except services.DraftExists as exists:
        messages.warning(request, errors(exists))
        if exists.invoice is not None:
            return redirect(exists.invoice)
        return redirect("billing:ready_to_bill")
    except ValidationError as error:  # nothing new to bill, or a bill too large to hold
        messages.error(request, errors(error))
        return redirect("billing:patient_billable", patient_pk=patient_pk)
    messages.success(
        request,
        f"{invoice} created for {access.patient.full_name}: check its lines, then issue it.",
    )
    return redirect(invoice)
