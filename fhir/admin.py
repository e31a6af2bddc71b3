"""API tokens in the admin: seen and revoked by administrators, never made or changed there
(a token acts as its user, so only the user makes one), and no secret to show: only its
first characters are kept besides the hash, which the admin leaves out too."""

from django.contrib import admin
from django.utils import timezone

from core.admin import ReadOnlyAdminMixin, ServiceModelAdmin
from fhir import services
from fhir.models import ApiToken


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, ServiceModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "status")
    list_filter = (StatusFilter,)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        self.run_service_action(
            request,
            queryset,
            lambda token: services.api_token_revoke(token=token, by=request.user),
            "tokens revoked",
        )

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("fhir.change_apitoken")
