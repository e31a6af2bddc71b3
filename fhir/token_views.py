"""Each user's API tokens, on their account pages: the list, making one (its secret shown
this once, on the answer to the form: it is never stored, not even in the session), and
revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_service_error
from fhir import selectors, services
from fhir.access import get_own_token
from fhir.forms import ApiTokenForm


@never_cache
@require_safe
def token_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, ApiTokenForm())


def _list_page(request: HttpRequest, form: ApiTokenForm, *, status: int = 200) -> HttpResponse:
    context = {"tokens": list(selectors.api_tokens_of(user=request.user)), "form": form}
    return render(request, "fhir/apitoken_list.html", context, status=status)


@never_cache
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                lifetime_days=form.cleaned_data["lifetime_days"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            context = {"token": token, "secret": secret}
            return render(request, "fhir/apitoken_created.html", context)
    return _list_page(request, form)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_own_token(request, pk)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, f"API token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens:token_list")
