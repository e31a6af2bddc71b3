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
from appointments.waitlist.forms import WaitlistEntryForm, WaitlistFilterForm, prefill_initial
from appointments.waitlist.models import WaitlistEntry, WaitlistOffer, WaitStatus
from core.forms import add_service_error

# The reason typed on the booking page, kept in the session (not in the address, which logs
# keep) for the add form it opens (appointments.views.appointment_book "Put on the waitlist").
BOOKING_REASON = "waitlist_booking_reason"


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
    """A new waiter. A link may fill in the patient, the doctor (or specialty) and the first
    day (`?patient=&doctor=&day=`, each checked, a bad one ignored); from the booking page
    (`?from=booking`) also the reason typed there, as the note. Once added: the waitlist."""
    require(request, Need.BOOK)
    from_booking = request.GET.get("from") == "booking"
    note = request.session.pop(BOOKING_REASON, "") if from_booking else ""
    initial = prefill_initial(request.GET, note=note) if request.method == "GET" else {}
    form = WaitlistEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = entries.waitlist_add(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{entry.patient} now waits for {entry.wanted}.")
            return redirect("appointments:waitlist")
    context = {"form": form, "entry": None, "from_booking": from_booking}
    return render(request, "appointments/waitlist_form.html", context)


def from_booking(request: HttpRequest, form) -> HttpResponse:
    """The booking page's "Put on the waitlist" (a submit of its form, so nothing typed is
    left behind unasked): the add form, filled in with the patient, the doctor or specialty
    and the day chosen there, the reason typed becoming the note. What is not valid on the
    booking form (yet) is left out."""
    require(request, Need.BOOK)
    form.is_valid()
    filters = form.filters()
    patient = form.cleaned_data.get("patient")
    query: dict = {"from": "booking", "day": filters["from_date"].isoformat()}
    if patient is not None:
        query["patient"] = patient.pk
    if filters["doctor"] is not None:
        query["doctor"] = filters["doctor"].pk
    elif filters["specialty"] is not None:
        query["specialty"] = filters["specialty"].pk
    request.session[BOOKING_REASON] = form.cleaned_data.get("reason", "")
    return redirect(reverse("appointments:waitlist_add") + "?" + urlencode(query))


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
