"""Visit note templates: per specialty, the SOAP-style text a doctor starts a visit's notes from.

Administrators write them in the Django admin. On the visit page a template fills the notes a
visit has: Subjective the concerns, Objective the symptoms and findings, Assessment and Plan
the notes. It never writes the diagnosis, whose every line becomes a condition of the patient
when the visit is completed. Applying one fills only what is empty; text the doctor typed is
replaced only when the doctor says so (`template_fill`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from core import audit
from core.models import TimeStampedModel


class NoteTemplate(TimeStampedModel):
    specialty = models.ForeignKey(
        "doctors.Specialty",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="note_templates",
        help_text="Offered to the doctors of this specialty; empty: offered to every doctor.",
    )
    name = models.CharField(max_length=100)
    subjective = models.TextField(
        "Subjective", blank=True, help_text="Fills the visit's concerns (the patient's words)."
    )
    objective = models.TextField(
        "Objective", blank=True, help_text="Fills the visit's symptoms and findings."
    )
    assessment = models.TextField(
        "Assessment", blank=True, help_text="Fills the visit's notes, under “Assessment”."
    )
    plan = models.TextField("Plan", blank=True, help_text="Fills the visit's notes, under “Plan”.")
    is_active = models.BooleanField(default=True, help_text="Offered on the visit page.")

    class Meta:
        ordering = ["specialty__name", "name"]
        verbose_name = "visit note template"
        constraints = [
            models.UniqueConstraint(
                fields=["specialty", "name"],
                name="%(app_label)s_%(class)s_name_unique",
                nulls_distinct=False,
                violation_error_message="This specialty already has a template of this name.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_not_blank",
                violation_error_message="Name the template.",
            ),
            models.CheckConstraint(
                condition=~Q(subjective="", objective="", assessment="", plan=""),
                name="%(app_label)s_%(class)s_not_empty",
                violation_error_message="Write at least one section of the template.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.specialty.name if self.specialty else 'every specialty'})"

    def get_absolute_url(self) -> str:
        return reverse("admin:clinical_notetemplate_change", args=[self.pk])

    def note_fields(self) -> dict[str, str]:
        """The visit's note fields this template fills, and with what."""
        parts = [
            f"{heading}:\n{text.strip()}"
            for heading, text in (("Assessment", self.assessment), ("Plan", self.plan))
            if text.strip()
        ]
        filled = {
            "concerns": self.subjective.strip(),
            "symptoms": self.objective.strip(),
            "notes": "\n\n".join(parts),
        }
        return {name: text for name, text in filled.items() if text}


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@dataclass(frozen=True)
class Fill:
    """What applying a template gives: the notes (`values`), and the fields whose own text it
    left in place because replacing it needs the doctor's yes (`kept`)."""

    values: dict[str, str]
    kept: tuple[str, ...]


def template_fill(
    *,
    template: NoteTemplate,
    current: Mapping[str, str],
    others: Iterable[NoteTemplate] = (),
    replace: bool = False,
) -> Fill:
    """The notes after applying `template` to the notes as they are on the page (`current`).

    An empty field takes the template's text; so does a field holding exactly the text of a
    template (`others`: the one applied before, switching templates), which nobody typed.
    A field holding anything else keeps it and is listed in `kept`, unless `replace` (the
    doctor said yes). Nothing is saved: the page shows the result, the doctor saves it.
    """
    template_texts: dict[str, list[str]] = {}
    for other in (template, *others):
        for name, text in other.note_fields().items():
            template_texts.setdefault(name, []).append(text)
    values = dict(current)
    kept = []
    for name, text in template.note_fields().items():
        present = (values.get(name) or "").strip()
        untyped = not present or any(_same(present, t) for t in template_texts.get(name, []))
        if untyped or replace:
            values[name] = text
        elif not _same(present, text):
            kept.append(name)
    return Fill(values=values, kept=tuple(kept))


def note_templates_for(*, specialty_id: int | None) -> list[NoteTemplate]:
    """The active templates a doctor of `specialty_id` is offered: those of the specialty
    first, then those for every specialty. One query."""
    templates = NoteTemplate.objects.filter(is_active=True).select_related("specialty")
    templates = templates.filter(Q(specialty_id=specialty_id) | Q(specialty__isnull=True))
    return sorted(templates, key=lambda t: (t.specialty_id is None, t.name.lower()))


# --- Writes (the admin's) -----------------------------------------------------------------

TEMPLATE_FIELDS = (
    "specialty",
    "name",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "is_active",
)


@transaction.atomic
def note_template_save(
    *, by: Any, template: NoteTemplate | None = None, **values: Any
) -> NoteTemplate:
    """Create a template, or change `template`, with `values` (names of TEMPLATE_FIELDS)."""
    unknown = set(values) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown template fields: {', '.join(sorted(unknown))}")
    creating = template is None
    template = template or NoteTemplate()
    before = {} if creating else audit.snapshot(template, TEMPLATE_FIELDS)
    for name, value in values.items():
        setattr(template, name, value.strip() if isinstance(value, str) else value)
    template.full_clean()
    template.save()
    after = audit.snapshot(template, TEMPLATE_FIELDS)
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE if creating else audit.Action.UPDATE,
        obj=template,
        changes=audit.created(template, TEMPLATE_FIELDS) if creating else audit.diff(before, after),
    )
    return template


@transaction.atomic
def note_template_delete(*, template: NoteTemplate, by: Any) -> None:
    """Remove a template (no visit keeps a link to it: applying one only fills text)."""
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=template,
        changes={
            name: {"before": value, "after": None}
            for name, value in audit.snapshot(template, TEMPLATE_FIELDS).items()
        },
    )
    template.delete()
