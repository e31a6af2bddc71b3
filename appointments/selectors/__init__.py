"""Reads on appointments (DESIGN.md's contract: `available_slots`): free slots and the
working hours that make them, the front desk's lists and calendar grids. A package of three
modules; every name is re-exported here, so callers import from `appointments.selectors`."""

from appointments.selectors.availability import (
    FIRST_FREE_HORIZON_DAYS,
    FIRST_FREE_WINDOW_DAYS,
    PICKER_DAYS,
    PICKER_PER_DAY,
    Slot,
    SlotChoice,
    SlotPicker,
    appointments_outside_hours,
    available_slots,
    bookable_doctors,
    first_free_slot,
    free_slots_by_doctor,
    local_date,
    slot_choices,
    slot_picker,
    working_hours_covering,
)
from appointments.selectors.calendar import (
    Cell,
    Column,
    Grid,
    Row,
    calendar_day,
    calendar_week,
)
from appointments.selectors.lists import (
    appointment_detail,
    appointment_history,
    appointments_between,
    arrivals,
    patient_appointments,
)

__all__ = [
    "FIRST_FREE_HORIZON_DAYS",
    "FIRST_FREE_WINDOW_DAYS",
    "PICKER_DAYS",
    "PICKER_PER_DAY",
    "Cell",
    "Column",
    "Grid",
    "Row",
    "Slot",
    "SlotChoice",
    "SlotPicker",
    "appointment_detail",
    "appointment_history",
    "appointments_between",
    "appointments_outside_hours",
    "arrivals",
    "available_slots",
    "bookable_doctors",
    "calendar_day",
    "calendar_week",
    "first_free_slot",
    "free_slots_by_doctor",
    "local_date",
    "patient_appointments",
    "slot_choices",
    "slot_picker",
    "working_hours_covering",
]
