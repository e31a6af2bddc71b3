"""Which of an import's updates need care before the clerk confirms them.

Two kinds, each shown on the check page with a badge and a sentence, and listed first:

* a doctor whose record is linked to a login (`Doctor.user`): the person signs in as that
  doctor, so a new name or specialty changes whom they are on every page, their calendar and
  their patients' records;
* a patient who has visits or medical history: the change shows on a chart and on bills that
  already exist.

Cost: one query for the logins of the updated doctors that have one, and two grouped counts per
`queries.CHUNK` updated patients (their visits, their history entries). None without updates.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count

from appointments.models import Attendance
from doctors.models import Doctor
from imports.queries import chunks
from patients.models import MedicalHistory, Patient

if TYPE_CHECKING:
    from imports.plan import Plan

LOGIN = "login"  # badge: "Signs in"
CHART = "chart"  # badge: "Has a chart"
BADGES = {LOGIN: "Signs in", CHART: "Has visits or history"}


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def assess(plan: Plan) -> None:
    """Mark each of `plan`'s updates that needs care (`Change.risk` and `Change.why`)."""
    doctors = [c for c in plan.changes.changes if c.model is Doctor and c.user_id]
    if doctors:
        names = dict(
            get_user_model()
            .objects.filter(pk__in={c.user_id for c in doctors})
            .values_list("pk", "username")
        )
        for change in doctors:
            who = names.get(change.user_id, "a user")
            change.risk = LOGIN
            change.why = (
                f"This doctor's record is someone's login: {who} signs in as this doctor, so the "
                "new values show wherever they work — their name, specialty and calendar — and "
                "on their patients' records."
            )
    patients = [c for c in plan.changes.changes if c.model is Patient]
    if not patients:
        return
    visits: Counter[int] = Counter()
    entries: Counter[int] = Counter()
    for ids in chunks(sorted({c.pk for c in patients})):
        for model, counter in ((Attendance, visits), (MedicalHistory, entries)):
            counter.update(
                dict(
                    model.objects.filter(patient_id__in=ids)
                    .values("patient_id")
                    .annotate(n=Count("id"))
                    .values_list("patient_id", "n")
                )
            )
    for change in patients:
        seen, recorded = visits[change.pk], entries[change.pk]
        if not (seen or recorded):
            continue
        held = " and ".join(
            text
            for count, text in (
                (seen, _plural(seen, "visit", "visits")),
                (recorded, _plural(recorded, "medical-history entry", "medical-history entries")),
            )
            if count
        )
        change.risk = CHART
        change.why = (
            f"This patient already has {held}: the new values show on that chart, those "
            "visits and their bills. Make sure it is the same person."
        )
