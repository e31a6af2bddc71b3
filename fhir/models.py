"""Who may call the FHIR API: personal API tokens, and the per-minute request counts that
throttle them."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.models import TimeStampedModel

# A token lives at most a year: a forgotten one in some system's configuration stops by itself.
MAX_LIFETIME = datetime.timedelta(days=366)
DEFAULT_LIFETIME_DAYS = 90


class ApiToken(TimeStampedModel):
    """A personal API token: whoever sends it acts as `user`, with the user's role as it is
    at each request. Only the SHA-256 of the secret is stored (the secret is 256 random
    bits, so a fast hash is enough: nothing can be guessed from it), with the first
    characters of the secret to tell tokens apart on the pages."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the lab.")
    prefix = models.CharField(max_length=16, help_text="The secret's first characters.")
    # The token's lookup (fhir.selectors.api_token_for_secret) is this unique index.
    secret_hash = models.CharField("SHA-256 of the secret", max_length=64, unique=True)
    expires_at = models.DateTimeField("expires")
    last_used_at = models.DateTimeField("last used", null=True, blank=True)
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="%(app_label)s_%(class)s_expires_after_creation",
                violation_error_message="A token must expire after it is made.",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__lte=F("created_at") + MAX_LIFETIME),
                name="%(app_label)s_%(class)s_lifetime_at_most_a_year",
                violation_error_message="A token lives at most a year.",
            ),
            models.CheckConstraint(
                condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"),
                name="%(app_label)s_%(class)s_hash_is_sha256",
                violation_error_message="Only the SHA-256 of a token's secret is stored.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def get_absolute_url(self) -> str:
        return reverse("api_tokens:token_list")

    @property
    def status(self) -> str:
        """`revoked`, `expired` or `active`, as the pages and the API's refusals say it."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class RateWindow(TimeStampedModel):
    """How many API requests one caller (`bucket`: a token, or a signed-in user without one)
    made in the current minute. One row per caller, rewritten in place by one UPSERT per
    request (fhir.throttle), so every web process counts against the same number."""

    bucket = models.CharField(max_length=40, primary_key=True)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField()

    class Meta:
        ordering = ["bucket"]
        verbose_name = "API rate window"

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits} since {self.window_start:%H:%M}"
