"""Keep the idle timeout without writing the session on every request.

`SESSION_SAVE_EVERY_REQUEST` wrote the session row on each page (a third of a bare page's
cost). Instead the session is written when something in it changed, or when its last write is
more than `REFRESH_SECONDS` old: the 30-minute idle timeout (SESSION_COOKIE_AGE) then holds
to within a minute, for one write a minute per active user.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REFRESH_SECONDS = 60
STAMP = "_hms_session_written_at"


class SessionRefreshMiddleware:
    """Just inside Django's SessionMiddleware, which saves a session marked modified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or response.status_code >= 500:
            return response
        now = int(time.time())
        if session.modified:
            session[STAMP] = now
        elif not session.is_empty() and now - session.get(STAMP, 0) >= REFRESH_SECONDS:
            session[STAMP] = now  # marks it modified: SessionMiddleware writes it
        return response
