"""The visit page's vital-signs section: what it shows, shared by the visit page and the
section's own htmx answer (clinical.views.vitals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appointments.models import Attendance
from clinical import vitals_selectors
from clinical.vitals_forms import VitalsForm
from clinical.vitals_models import VitalsReading


@dataclass
class VitalsSection:
    columns = vitals_selectors.READING_COLUMNS

    form: VitalsForm
    readings: list[tuple[VitalsReading, list[vitals_selectors.Cell | None]]]
    notice: Any = None  # a clinical.views.visit.Notice


def typed_vitals(data: Mapping[str, Any]) -> VitalsForm:
    """The vitals fields with what was typed and not recorded (`pending`), else empty."""
    return VitalsForm.typed(data)


def vitals_section(attendance: Attendance, form: VitalsForm, notice: Any = None) -> VitalsSection:
    """The section's readings and fields. One query."""
    readings = vitals_selectors.visit_readings(attendance=attendance)
    return VitalsSection(form, [(r, vitals_selectors.reading_cells(r)) for r in readings], notice)


def vitals_chart_context(patient: Any) -> dict[str, Any]:
    """The chart's vital signs: each vital's trend (its last readings) and the same figures as
    a table. One query, whatever the number of readings."""
    trends = vitals_selectors.patient_trends(patient=patient)
    return {
        "vital_trends": trends,
        "vitals_table": vitals_selectors.trends_table(trends),
        "trend_readings": vitals_selectors.TREND_READINGS,
    }
