"""What the timetable services announce, for the layers above doctors (which this app may not
import): sent inside the service's transaction, once the change is saved, by every path that
changes a timetable (the pages, the admin, commands). The appointments app offers the time to
its waitlist (appointments.apps)."""

from django.dispatch import Signal

# New or changed weekly hours: `hours` (a WorkingHours) may have opened bookable time.
hours_opened = Signal()

# Time off removed or changed: [start, end) of `doctor_id` may be bookable again.
time_freed = Signal()
