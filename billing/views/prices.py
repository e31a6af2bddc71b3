"""Price lists (medications, procedure fees) and the billing settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from billing import forms, selectors, services
from billing.access import Need, get_billing_for_user
from billing.models import BillingSettings, MedicationCost, ProcedureFee
from core.forms import add_service_error, form_changes


def price_list(request: HttpRequest) -> HttpResponse:
    access = get_billing_for_user(request, Need.VIEW_MEDICATIONS)
    form = forms.PriceSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    q, inactive = filters.get("q") or "", bool(filters.get("inactive"))
    settings_row = BillingSettings.load()
    context = {
        "access": access,
        "form": form,
        "medications": selectors.medication_prices(q=q, include_inactive=inactive)[:500],
        "procedures": (
            selectors.procedure_fees(q=q, include_inactive=inactive)[:500]
            if access.sees_procedures
            else None
        ),
        "settings": settings_row if access.sees_settings else None,
        "currency": settings_row.currency,  # prices are shown in it; not a setting to hide
    }
    return render(request, "billing/price_list.html", context)


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: `redirect("abc")` would take "abc" for a view's name and fail.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
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
        data = form_changes(form)
        try:
            saved = save(data)
        except ValidationError as error:
            add_service_error(form, error)
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
    get_billing_for_user(request, Need.ADD_MEDICATION)
    return _price_form_page(
        request,
        form_class=forms.MedicationCostForm,
        obj=None,
        save=lambda data: services.medication_cost_save(data=data, by=request.user),
        what="medication price",
    )


def medicationcost_update(request: HttpRequest, pk: int) -> HttpResponse:
    get_billing_for_user(request, Need.EDIT_MEDICATION)
    medication = get_object_or_404(MedicationCost, pk=pk)
    return _price_form_page(
        request,
        form_class=forms.MedicationCostForm,
        obj=medication,
        save=lambda data: services.medication_cost_save(
            medication=medication, data=data, by=request.user
        ),
        what="medication price",
    )


def procedurefee_create(request: HttpRequest) -> HttpResponse:
    get_billing_for_user(request, Need.ADD_PROCEDURE)
    return _price_form_page(
        request,
        form_class=forms.ProcedureFeeForm,
        obj=None,
        save=lambda data: services.procedure_fee_save(data=data, by=request.user),
        what="procedure fee",
    )


def procedurefee_update(request: HttpRequest, pk: int) -> HttpResponse:
    get_billing_for_user(request, Need.EDIT_PROCEDURE)
    procedure = get_object_or_404(ProcedureFee, pk=pk)
    return _price_form_page(
        request,
        form_class=forms.ProcedureFeeForm,
        obj=procedure,
        save=lambda data: services.procedure_fee_save(
            procedure=procedure, data=data, by=request.user
        ),
        what="procedure fee",
    )


def settings_edit(request: HttpRequest) -> HttpResponse:
    need = Need.EDIT_SETTINGS if request.method == "POST" else Need.VIEW_SETTINGS
    access = get_billing_for_user(request, need)
    current = BillingSettings.load()
    form = forms.BillingSettingsForm(
        request.POST or None, instance=current, read_only=not access.can_edit_settings
    )
    if request.method == "POST" and form.is_valid():
        data = form_changes(form)
        try:
            services.billing_settings_update(data=data, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Billing settings saved; issued invoices keep theirs.")
            return redirect("billing:settings_edit")
    return render(request, "billing/billingsettings_form.html", {"form": form, "access": access})
