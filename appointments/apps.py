from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        # Time a timetable change opens is offered to the waitlist, whichever path changed it
        # (the schedule pages, the admin, a command): the doctors app announces it.
        from appointments.waitlist.offers import hours_opened, slot_freed
        from doctors import signals

        def offer_opened_hours(sender, hours, **kwargs) -> None:
            hours_opened(hours=hours)

        def offer_freed_time(sender, doctor_id, start, end, **kwargs) -> None:
            slot_freed(doctor_id=doctor_id, start=start, end=end)

        signals.hours_opened.connect(offer_opened_hours, weak=False, dispatch_uid="waitlist-hours")
        signals.time_freed.connect(offer_freed_time, weak=False, dispatch_uid="waitlist-time-off")
