import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from core.models import TimeStampedModel
from core.validators import InternationalEmailField


class Specialty(TimeStampedModel):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = "specialty"
        verbose_name_plural = "specialties"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="%(app_label)s_%(class)s_name_unique_ci",
                violation_error_message="A specialty with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:doctors_specialty_change", args=[self.pk])


class DoctorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Doctor(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="doctor",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="doctors")
    email = InternationalEmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    consultation_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)
    # The workbook's DoctorID of an imported doctor (usually also the code); null for a doctor
    # created in the system.
    legacy_id = models.CharField("imported as DoctorID", max_length=20, null=True, blank=True)

    objects = DoctorQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "code"]
        verbose_name = "doctor"
        constraints = [
            models.CheckConstraint(
                condition=Q(consultation_fee__gte=0),
                name="%(app_label)s_%(class)s_fee_not_negative",
                violation_error_message="The consultation fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(code=""),
                name="%(app_label)s_%(class)s_code_not_blank",
                violation_error_message="A doctor needs a code.",
            ),
            # Also the index the import looks its DoctorIDs up by.
            models.UniqueConstraint(
                fields=["legacy_id"],
                name="%(app_label)s_%(class)s_legacy_id_unique",
                violation_error_message="Another doctor was imported with this DoctorID.",
            ),
        ]

    def __str__(self) -> str:
        return f"Dr {self.first_name} {self.last_name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("admin:doctors_doctor_change", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(TimeStampedModel):
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    valid_from = models.DateField(default=datetime.date.today)
    valid_until = models.DateField(null=True, blank=True, help_text="Leave empty for open-ended.")

    class Meta:
        ordering = ["doctor", "weekday", "start_time"]
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="%(app_label)s_%(class)s_weekday_valid",
                violation_error_message="Weekday must be 0 (Monday) to 6 (Sunday).",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="Working hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="%(app_label)s_%(class)s_slot_length_valid",
                violation_error_message="A slot lasts between 5 and 240 minutes.",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="%(app_label)s_%(class)s_validity_ordered",
                violation_error_message="The end of validity cannot be before its start.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.doctor} {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )

    def get_absolute_url(self) -> str:
        return reverse("admin:doctors_workinghours_change", args=[self.pk])


# The longest one period of time off may last (a typo's year 9999 is not an absence).
TIME_OFF_LONGEST = datetime.timedelta(days=366)


class TimeOff(TimeStampedModel):
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["doctor", "start"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="Time off must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(end__lte=F("start") + TIME_OFF_LONGEST),
                name="%(app_label)s_%(class)s_at_most_a_year",
                violation_error_message=(
                    "Time off lasts at most a year: enter a longer absence as several periods."
                ),
            ),
        ]
        indexes = [
            # available_slots: a doctor's time off overlapping the requested days.
            models.Index(fields=["doctor", "start", "end"], name="doctors_timeoff_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} off {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("admin:doctors_timeoff_change", args=[self.pk])
