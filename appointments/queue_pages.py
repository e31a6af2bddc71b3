"""The check-in queue's pages: the waiting-room display (the one page without a login), the
printed token, and the doctor's "call next" and "recall" (from their day list).

The display shows token numbers and the doctors and rooms chosen for public display, never a
patient's name, record number or appointment time. Whoever polls it, and however often, the
database sees at most one board query per BOARD_SECONDS and one doctors query per
DOCTORS_SECONDS per server process (the cache); an unknown doctor code is a 404 from the
cached doctors, without a query. A poll that would show nothing new gets 204 (htmx swaps
nothing), so a screen reader hears only changes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from appointments import queue_services
from appointments.access import Need, get_appointment_for_user, get_queue_doctor_for_user
from appointments.queue import QueueTicket
from appointments.selectors.queue import Board, display_board, display_doctors
from core.params import record_id

BOARD_SECONDS = 3
DOCTORS_SECONDS = 60
POLL_SECONDS = 5


def _board(code: str) -> Board:
    """The cached board of today (all queues, or the doctor `code`'s); Http404 for a code of
    no active doctor."""
    doctors = cache.get_or_set(queue_services.DISPLAY_DOCTORS_KEY, display_doctors, DOCTORS_SECONDS)
    if code and code not in doctors:
        raise Http404("No such queue.")
    now = timezone.now()
    key = queue_services.board_key(timezone.localdate(now), code)
    board = cache.get(key)
    if board is None:
        board = display_board(day=timezone.localdate(now), now=now, doctors=doctors, code=code)
        cache.set(key, board, BOARD_SECONDS)
    return board


def _display(template: str, code: str, *, oob: bool = False) -> HttpResponse:
    # Rendered without the request: no context processor reads the session or the user.
    board = _board(code)
    context = {
        "board": board,
        "code": code,
        "poll": POLL_SECONDS,
        "board_url": reverse("waiting_room:board", kwargs={"code": code} if code else None),
        "oob": oob,
    }
    return HttpResponse(render_to_string(template, context))


@login_not_required
@require_safe
def waiting_room(request: HttpRequest, code: str = "") -> HttpResponse:
    """The waiting-room display of every queue, or of the doctor `code`: big type, token
    numbers only, refreshed by htmx every POLL_SECONDS (a meta refresh without script)."""
    return _display("appointments/waiting_room.html", code)


@login_not_required
@require_safe
def waiting_room_board(request: HttpRequest, code: str = "") -> HttpResponse:
    """The display's board alone (htmx poll). `?v=` is the version the screen shows: 204
    when it is still current."""
    if request.GET.get("v") and request.GET["v"] == _board(code).version:
        return HttpResponse(status=204)
    return _display("appointments/_waiting_board.html", code, oob=True)


def queue_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """The token slip of a checked-in appointment, to print and hand over: its number, the
    doctor and room as the display shows them, the day. No name on it (it may be dropped)."""
    appointment = get_appointment_for_user(request, pk, need=Need.CHECK_IN)
    ticket = (
        QueueTicket.objects.filter(appointment=appointment, withdrawn_at__isnull=True)
        .select_related("doctor__queue_room")
        .first()
    )
    if ticket is None:
        raise Http404("This appointment has no token: it is not checked in.")
    room = getattr(ticket.doctor, "queue_room", None)
    context = {
        "appointment": appointment,
        "ticket": ticket,
        "room": room.room if room else "",
        "name": (room.display_name if room else "") or f"Dr {ticket.doctor.last_name}",
    }
    return render(request, "appointments/queue_ticket.html", context)


def _back(request: HttpRequest, doctor_pk: int) -> HttpResponse:
    default = reverse("clinical:doctor_day") + f"?doctor={doctor_pk}"
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        target = default
    return HttpResponseRedirect(target)


def _number(raw: str) -> int | None:
    return record_id(raw, at_most=9)


@require_POST
def queue_call_next(request: HttpRequest, pk: int) -> HttpResponse:
    """Call the next patient of the doctor `pk`'s queue, or the chosen `ticket`. `after` is
    the token the page showed as called (a second click then calls nobody)."""
    doctor = get_queue_doctor_for_user(request, pk)
    chosen = _number(request.POST.get("ticket", ""))
    ticket = QueueTicket.objects.filter(pk=chosen, doctor=doctor).first() if chosen else None
    if chosen and ticket is None:
        raise Http404("No such token in this queue.")
    after = _number(request.POST.get("after", ""))
    try:
        called = queue_services.queue_call_next(
            doctor=doctor, by=request.user, ticket=ticket, after=after
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Token {called.number} called: it shows on the display.")
    return _back(request, doctor.pk)


@require_POST
def queue_recall(request: HttpRequest, pk: int, ticket_pk: int) -> HttpResponse:
    """Announce the doctor `pk`'s called token again."""
    doctor = get_queue_doctor_for_user(request, pk)
    ticket = QueueTicket.objects.filter(pk=ticket_pk, doctor=doctor).first()
    if ticket is None:
        raise Http404("No such token in this queue.")
    try:
        queue_services.queue_recall(ticket=ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Token {ticket.number} called again.")
    return _back(request, doctor.pk)
