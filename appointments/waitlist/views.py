"""The waitlist page: who waits (filtered by doctor or specialty, paged by key), the open
offers of freed slots (book in one click, or pass to the next waiter), and a waiter's form.
The desk's (those who book): `appointments.access` Need.BOOK decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from appointments.access import Need, require
from appointments.waitlist import entries, selectors, services
from appointments.waitlist.forms import WaitlistEntryForm, WaitlistFilterForm
from appointments.waitlist.models import WaitlistEntry, WaitlistOffer, WaitStatus
from core.forms import add_service_error
from core.params import record_id
from patients.models import Patient


def _entry_for_user(request: HttpRequest, pk: int) -> WaitlistEntry:
    require(request, Need.BOOK)
    entry = WaitlistEntry.objects.select_related("patient", "doctor", "specialty").filter(pk=pk)
    found = entry.first()
    if found is None:
        raise Http404("No such waitlist entry.")
    return found


def _offer_for_user(request: HttpRequest, pk: int) -> WaitlistOffer:
    require(request, Need.BOOK)
    offer = WaitlistOffer.objects.filter(pk=pk).first()
    if offer is None:
        raise Http404("No such offer.")
    return offer


def waitlist(request: HttpRequest) -> HttpResponse:
    """The open offers, then everyone waiting in line. Offers whose time is up are moved on
    first (what the periodic job does), so the page is right even with no worker running."""
    require(request, Need.BOOK)
    services.offers_expire_due()
    form = WaitlistFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    doctor, specialty = data.get("doctor"), data.get("specialty")
    page = selectors.waitlist_page(
        doctor=doctor, specialty=specialty, after=request.GET.get("after")
    )
    query = {"doctor": doctor.pk if doctor else "", "specialty": specialty.pk if specialty else ""}
    query = {key: value for key, value in query.items() if value}
    context = {
        "form": form,
        "page": page,
        "offers": selectors.open_offers(doctor=doctor, specialty=specialty),
        "next_query": urlencode({**query, "after": page.next_after}) if page.next_after else "",
        "first_query": urlencode(query) if request.GET.get("after") else None,
        "now": timezone.now(),
    }
    return render(request, "appointments/waitlist.html", context)


def waitlist_add(request: HttpRequest) -> HttpResponse:
    require(request, Need.BOOK)
    initial = {}
    chosen = request.GET.get("patient", "")
    if (chosen_id := record_id(chosen)) is not None:
        patient = Patient.objects.filter(pk=chosen_id).first()
        initial = {"patient": patient.mrn} if patient else {}
    form = WaitlistEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = entries.waitlist_add(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{entry.patient} now waits for {entry.wanted}.")
            return redirect("appointments:waitlist")
    return render(request, "appointments/waitlist_form.html", {"form": form, "entry": None})


def waitlist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_user(request, pk)
    form = WaitlistEntryForm(
        request.POST or None, initial=WaitlistEntryForm.initial_for(entry), patient=entry.patient
    )
    if entry.status == WaitStatus.WAITING and request.method == "POST" and form.is_valid():
        try:
            entries.waitlist_update(entry=entry, data=form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Saved what {entry.patient} waits for.")
            return redirect("appointments:waitlist")
    return render(request, "appointments/waitlist_form.html", {"form": form, "entry": entry})


@require_POST
def waitlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_user(request, pk)
    try:
        entries.waitlist_remove(entry=entry, by=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, f"Took {entry.patient} off the waitlist.")
    return redirect("appointments:waitlist")


@require_POST
def offer_book(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the offered slot booked for its waiter, shown on the day calendar."""
    offer = _offer_for_user(request, pk)
    try:
        appointment = services.offer_book(offer=offer, by=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
        return redirect("appointments:waitlist")
    when = timezone.localtime(appointment.start)
    messages.success(
        request,
        f"Booked {appointment.patient} with {appointment.doctor} on {when:%A %d %B at %H:%M}.",
    )
    query = urlencode({"day": when.date().isoformat(), "highlight": appointment.pk})
    return redirect(reverse("appointments:calendar_day") + "?" + query)


@require_POST
def offer_pass(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer_for_user(request, pk)
    try:
        nxt = services.offer_pass(offer=offer, by=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Passed. The slot is now offered to {nxt.entry.patient}."
            if nxt
            else "Passed. Nobody else on the waitlist fits this slot; it stays free.",
        )
    return redirect("appointments:waitlist")
