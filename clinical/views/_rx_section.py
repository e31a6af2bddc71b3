"""The visit page's prescription section: what the visit page and the prescription views
both render."""

from __future__ import annotations

from dataclasses import dataclass

from appointments.models import Attendance
from clinical import prescription_selectors
from clinical.prescription_forms import PrescriptionForm
from clinical.prescriptions import Prescription, PrescriptionLine


@dataclass
class PrescriptionSection:
    """The visit's prescription so far, and the fields that add a drug to it."""

    form: PrescriptionForm
    prescription: Prescription | None
    drugs: list[str]
    notice: tuple[str, str] | None = None  # (text, Bootstrap colour)

    @property
    def lines(self) -> list[PrescriptionLine]:
        return getattr(self.prescription, "line_list", [])


def prescription_section(
    attendance: Attendance, form: PrescriptionForm, notice: tuple[str, str] | None = None
) -> PrescriptionSection:
    return PrescriptionSection(
        form=form,
        prescription=prescription_selectors.visit_prescription(attendance=attendance),
        drugs=prescription_selectors.drug_suggestions(),
        notice=notice,
    )
