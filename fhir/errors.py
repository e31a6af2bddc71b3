"""What the API refuses, each with its HTTP status and its OperationOutcome issue code
(http://hl7.org/fhir/issue-type). The views turn any of them into an OperationOutcome."""

from __future__ import annotations


class FhirError(Exception):
    """A request the API answers with an OperationOutcome: `diagnostics` says what was wrong
    in words a person can act on."""

    status = 400
    code = "invalid"

    def __init__(self, diagnostics: str, *, code: str | None = None) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        if code is not None:
            self.code = code

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(FhirError):
    status = 400
    code = "value"


class Unauthorized(FhirError):
    """No credentials, or credentials the API does not take (RFC 6750's `invalid_token`)."""

    status = 401
    code = "login"

    def __init__(self, diagnostics: str, *, invalid_token: bool = False) -> None:
        super().__init__(diagnostics)
        self.invalid_token = invalid_token

    def headers(self) -> dict[str, str]:
        challenge = 'Bearer realm="HMS FHIR API"'
        if self.invalid_token:
            challenge += ', error="invalid_token"'
        return {"WWW-Authenticate": challenge}


class Forbidden(FhirError):
    status = 403
    code = "forbidden"


class NotFound(FhirError):
    status = 404
    code = "not-found"


class MethodNotAllowed(FhirError):
    status = 405
    code = "not-supported"

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{method} is not supported here; this URL answers {', '.join(allowed)}.")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class NotAcceptable(FhirError):
    status = 406
    code = "not-supported"


class Throttled(FhirError):
    status = 429
    code = "throttled"

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(
            f"Too many requests: at most {limit} a minute. Try again in {retry_after} seconds."
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Conflict(FhirError):
    """A write the record's state refuses: the time is taken, the appointment already ended."""

    status = 409
    code = "conflict"


class Unprocessable(FhirError):
    """A well-formed write that breaks a rule of the service it goes through (422)."""

    status = 422
    code = "business-rule"


class UnsupportedMediaType(FhirError):
    status = 415
    code = "not-supported"
