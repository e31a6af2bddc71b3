import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, ProgrammingError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinical import views as clinical_views
from core import roles
from hms import selectors

logger = logging.getLogger(__name__)


def home(request):
    """Each role's landing page, with live figures from the database."""
    role = roles.role_of(request.user)
    today = timezone.localdate()
    context = {"today": today, "role": role}
    if role == roles.FRONT_DESK:
        context["by_status"] = selectors.appointments_by_status(day=today)
        context["total_today"] = sum(n for _, _, n in context["by_status"])
        return render(request, "hms/home_front_desk.html", context)
    if role == roles.DOCTOR:
        # The doctor's home is their day: the clinical app's page, under the "My day" heading.
        return clinical_views.doctor_day(request, template_name="hms/home_doctor.html")
    if role == roles.BILLING_CLERK:
        context["figures"] = selectors.billing_figures()
        return render(request, "hms/home_billing.html", context)
    if role == roles.ADMINISTRATOR:
        context["figures"] = selectors.hospital_figures(today=today)
        context["by_status"] = selectors.appointments_by_status(day=today)
        return render(request, "hms/home_admin.html", context)
    return render(request, "hms/home_no_role.html", context, status=403)


# The probe's one statement: the database answers, and this role may read the job queue's
# table (`WHERE false`: the plan reads no row of it, but the table and the privilege are checked).
_PROBE = "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE false)"

# Once every migration is applied it stays so for the life of the process (a deploy that adds
# migrations restarts it), so the plan is read only until it first comes back empty.
_migrations_applied = False


def _all_migrations_applied() -> bool:
    """Whether the database has every migration on disk (cached once true).

    Building the plan imports every migration module and reads `django_migrations`: tens of
    milliseconds, too much for a probe every few seconds, hence the cache.
    """
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, has every migration and its job
    queue can be read, else 503.

    No login and nothing about the hospital in the answer. Cost per probe: one statement that
    reads no row (plus the migration plan until it is first found applied). Workers are not
    part of it: a web server serves without them (the README says how to watch them).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute(_PROBE)
        healthy = _all_migrations_applied()
        if not healthy:
            logger.warning("Health check: migrations not applied (run manage.py migrate)")
    except ProgrammingError as exc:
        # The server answers, but not the queue's table: missing, or not granted to this role.
        logger.warning("Health check: the job queue does not answer: %s", exc)
        healthy = False
    except DatabaseError as exc:
        # The reason goes to the log, for the operator; the answer says nothing.
        logger.warning("Health check: the database does not answer: %s", exc)
        healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503
    )
