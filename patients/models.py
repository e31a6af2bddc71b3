import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Collate, Concat, Lower
from django.urls import reverse
from django.utils import timezone

from core.models import TimeStampedModel
from core.nothing import is_nothing, says_nothing
from core.search import Unaccent
from core.validators import InternationalEmailField
from patients import ages
from patients.icd10 import Icd10Code


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Patient(TimeStampedModel):
    mrn = models.CharField("MRN", max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    dob_is_estimated = models.BooleanField(
        "date of birth is estimated", default=False, help_text="Derived from an age in years."
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    email = InternationalEmailField(blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)
    # Appointment messages (confirmations, new times, cancellations, reminders) by e-mail and
    # SMS: the patient may refuse them all (appointments.messaging).
    messages_opt_out = models.BooleanField(
        "no messages about appointments",
        default=False,
        db_default=False,
        help_text="The patient asked not to receive booking confirmations or reminders.",
    )
    # The workbook's PatientID of an imported patient (usually also the MRN; a patient the
    # import kept apart from a clash with the system's own MRN has a new MRN instead). Null
    # for a patient registered in the system: the import never takes that one for another.
    legacy_id = models.CharField("imported as PatientID", max_length=20, null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        verbose_name = "patient"
        constraints = [
            models.CheckConstraint(
                condition=Q(sex__in=Sex.values),
                name="%(app_label)s_%(class)s_sex_valid",
                violation_error_message="Sex must be female, male, other or unknown.",
            ),
            models.CheckConstraint(
                condition=~Q(mrn=""),
                name="%(app_label)s_%(class)s_mrn_not_blank",
                violation_error_message="A patient needs an MRN.",
            ),
            # Also the index the import looks its PatientIDs up by.
            models.UniqueConstraint(
                fields=["legacy_id"],
                name="%(app_label)s_%(class)s_legacy_id_unique",
                violation_error_message="Another patient was imported with this PatientID.",
            ),
        ]
        indexes = [
            # Search-as-you-type on the full name: accent- and case-blind trigram match.
            GinIndex(
                OpClass(
                    Unaccent(Lower(Concat("first_name", models.Value(" "), "last_name"))),
                    name="gin_trgm_ops",
                ),
                name="patients_name_trgm",
            ),
            # Search by last name alone (and duplicate detection by last name).
            GinIndex(
                OpClass(Unaccent(Lower("last_name")), name="gin_trgm_ops"),
                name="patients_last_name_trgm",
            ),
            # Search by (partial) phone number.
            GinIndex(OpClass("phone", name="gin_trgm_ops"), name="patients_phone_trgm"),
            # Search by date of birth; duplicate detection by last name + date of birth.
            models.Index(fields=["date_of_birth"], name="patients_dob_idx"),
            # Names by their start, in name order, a page at a time (the FHIR name search,
            # patients.selectors.patients_by_name_start): the family name first, and the
            # given name first. Byte order ("C"), so a prefix is one index range.
            models.Index(
                Collate(Unaccent(Lower("last_name")), "C"),
                Collate(Unaccent(Lower("first_name")), "C"),
                F("id"),
                name="patients_family_given_idx",
            ),
            models.Index(
                Collate(Unaccent(Lower("first_name")), "C"),
                Collate(Unaccent(Lower("last_name")), "C"),
                F("id"),
                name="patients_given_family_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:patient_detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: datetime.date) -> int | None:
        """Age in whole years on `day`; None when the date of birth is unknown."""
        born = self.date_of_birth
        return None if born is None else ages.age_on(born, day)

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())


class HistoryKind(models.TextChoices):
    CONDITION = "condition", "Condition"
    SURGERY = "surgery", "Surgery"
    MEDICATION = "medication", "Medication"
    ALLERGY = "allergy", "Allergy"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    LIFE_THREATENING = "life_threatening", "Life-threatening"


class AllergyDrugClass(models.TextChoices):
    """The drug classes an allergy may cover. Only their names live here: which drugs belong
    to each is clinical.drug_classes' table, which reads this list; the database refuses any
    other class (patients 0010), so no writer stores one the allergy check would ignore."""

    PENICILLINS = "penicillins", "Penicillins"
    CEPHALOSPORINS = "cephalosporins", "Cephalosporins"
    SULFONAMIDES = "sulfonamides", "Sulfonamide antibiotics"
    NSAIDS = "nsaids", "NSAIDs (anti-inflammatory pain relievers)"
    MACROLIDES = "macrolides", "Macrolides"
    OPIOIDS = "opioids", "Opioids"


# Kinds whose entries can end: a condition resolves, a medication is stopped.
ENDING_KINDS = (HistoryKind.CONDITION, HistoryKind.MEDICATION)
# Kinds that are charged for: a medication, a surgery.
BILLED_KINDS = (HistoryKind.MEDICATION, HistoryKind.SURGERY)


class MedicalHistoryQuerySet(models.QuerySet):
    def billable(self):
        """The entries the billing rule charges for: billable medications and surgeries whose
        description is something (not "None", "N/A", "-": imported for no item)."""
        return self.filter(is_billable=True, kind__in=BILLED_KINDS).exclude(
            says_nothing("description")
        )

    def current(self):
        """Active conditions, current medications, and every surgery and allergy."""
        return self.filter(ended_on__isnull=True)


class MedicalHistory(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="history")
    kind = models.CharField(max_length=12, choices=HistoryKind.choices)
    description = models.CharField(max_length=255)
    medication = models.ForeignKey(
        "billing.MedicationCost",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="history_entries",
        help_text="The price-list medication, for entries of kind medication.",
    )
    recorded_on = models.DateField()
    attendance = models.ForeignKey(
        "appointments.Attendance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="history_entries",
    )
    is_billable = models.BooleanField(default=True)
    legacy_id = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the condition resolved or the medication was stopped; empty while "
        "it is active or current.",
    )
    procedure = models.ForeignKey(
        "billing.ProcedureFee",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="history_entries",
        help_text="The procedure-list entry, for surgeries picked from the list.",
    )
    # COPY-based loaders (imports, seed_demo) leave these columns out: hence the db_default.
    quantity = models.PositiveIntegerField(
        default=1, db_default=1, help_text="Units given, for a medication given at a visit."
    )
    # Corrections. A database trigger (migration patients 0002) copies the previous content
    # into MedicalHistoryRevision and bumps `version` whenever the content changes, whoever
    # writes the row, so an earlier version can never be lost.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    corrected_at = models.DateTimeField(null=True, blank=True, editable=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who wrote this version, when it is a correction.",
    )
    correction_reason = models.CharField(max_length=255, blank=True, default="", db_default="")
    # A structured allergy (kind allergy; `description` is its substance, so a free-text
    # allergy of before stays valid as it is). The drug class is one of AllergyDrugClass
    # (e.g. "penicillins"), whose members the allergy check reads (clinical.drug_classes).
    reaction = models.CharField(
        max_length=255, blank=True, default="", db_default="", help_text="E.g. hives."
    )
    severity = models.CharField(
        max_length=16, choices=AllergySeverity.choices, blank=True, default="", db_default=""
    )
    drug_class = models.CharField(
        "drug class",
        max_length=40,
        choices=AllergyDrugClass.choices,
        blank=True,
        default="",
        db_default="",
    )

    # A condition's ICD-10-CM code; empty for a condition written in words only ("uncoded").
    icd10 = models.ForeignKey(
        Icd10Code,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ICD-10-CM code",
        help_text="The condition's code; empty while it is described in words only.",
    )

    # A medication recorded though it matched an allergy (clinical.allergy_check): the
    # allergies as shown and the reason typed to go on, as on a visit item or a prescription.
    allergy_alert = models.TextField(blank=True, default="", db_default="")
    override_reason = models.CharField(max_length=500, blank=True, default="", db_default="")

    objects = MedicalHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = "medical history entry"
        verbose_name_plural = "medical history entries"
        permissions = [
            (
                "view_billable_items",
                "Can view billable history items (no diagnoses or notes)",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=HistoryKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message="Unknown kind of history entry.",
            ),
            models.CheckConstraint(
                condition=Q(medication__isnull=True) | Q(kind=HistoryKind.MEDICATION),
                name="%(app_label)s_%(class)s_medication_only_for_medications",
                violation_error_message="Only a medication entry can name a price-list medication.",
            ),
            models.CheckConstraint(
                condition=~Q(description=""),
                name="%(app_label)s_%(class)s_description_not_blank",
                violation_error_message="Describe the entry.",
            ),
            models.CheckConstraint(
                condition=Q(procedure__isnull=True) | Q(kind=HistoryKind.SURGERY),
                name="%(app_label)s_%(class)s_procedure_only_for_surgeries",
                violation_error_message="Only a surgery entry can name a listed procedure.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(kind__in=ENDING_KINDS),
                name="%(app_label)s_%(class)s_ended_only_conditions_medications",
                violation_error_message=(
                    "Only a condition can be resolved and only a medication stopped."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("recorded_on")),
                name="%(app_label)s_%(class)s_ended_after_recorded",
                violation_error_message="It cannot end before it was recorded.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & (Q(quantity=1) | Q(kind=HistoryKind.MEDICATION)),
                name="%(app_label)s_%(class)s_quantity_valid",
                violation_error_message="A quantity is at least 1, and only medications have one.",
            ),
            models.CheckConstraint(
                condition=Q(severity="") | Q(severity__in=AllergySeverity.values),
                name="%(app_label)s_%(class)s_severity_valid",
                violation_error_message="Severity is mild, moderate, severe or life-threatening.",
            ),
            models.CheckConstraint(
                condition=Q(drug_class="") | Q(drug_class__in=AllergyDrugClass.values),
                name="%(app_label)s_%(class)s_drug_class_valid",
                violation_error_message="Unknown drug class.",
            ),
            models.CheckConstraint(
                condition=Q(kind=HistoryKind.ALLERGY) | Q(reaction="", severity="", drug_class=""),
                name="%(app_label)s_%(class)s_reaction_only_for_allergies",
                violation_error_message="Only an allergy has a reaction, severity or drug class.",
            ),
            models.CheckConstraint(
                condition=Q(icd10__isnull=True) | Q(kind=HistoryKind.CONDITION),
                name="%(app_label)s_%(class)s_icd10_only_for_conditions",
                violation_error_message="Only a condition carries an ICD-10-CM code.",
            ),
            models.CheckConstraint(
                condition=Q(allergy_alert="") | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message="A drug that matches an allergy needs a reason to go on.",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="%(app_label)s_%(class)s_version_positive",
                violation_error_message="Versions start at 1.",
            ),
            # One seed MedicalHistory row becomes at most one entry of each kind.
            models.UniqueConstraint(
                fields=["legacy_id", "kind"],
                condition=~Q(legacy_id=""),
                name="%(app_label)s_%(class)s_legacy_kind_unique",
                violation_error_message="This legacy history row was already imported.",
            ),
        ]
        indexes = [
            # The chart and the history's pages (clinical.chart): a patient's entries of a kind,
            # newest first with the id breaking ties, so that the latest few of a list of
            # thousands are the first few rows of the index.
            models.Index(
                fields=["patient", "kind", "-recorded_on", "-id"],
                name="patients_history_chart_idx",
            ),
            # The chart's current entries (clinical.chart): those of a patient not resolved or
            # stopped, without reading the ones that were.
            models.Index(
                fields=["patient", "kind"],
                condition=Q(ended_on__isnull=True),
                name="patients_history_current_idx",
            ),
            # Billing: a patient's billable entries.
            models.Index(
                fields=["patient"],
                condition=Q(is_billable=True),
                name="patients_history_billable_idx",
            ),
            # Visit view: entries recorded at an attendance.
            models.Index(fields=["attendance"], name="patients_history_attend_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("admin:patients_medicalhistory_change", args=[self.pk])

    @property
    def bills(self) -> bool:
        """Charged for on an invoice: the row-by-row form of `objects.billable()`."""
        return self.is_billable and self.kind in BILLED_KINDS and not is_nothing(self.description)


class MedicalHistoryRevision(TimeStampedModel):
    """An earlier version of a history entry, kept when the entry was corrected.

    Written by the database trigger on patients_medicalhistory, never by application code;
    another trigger refuses UPDATE and DELETE, so the history of an entry is append-only.
    """

    entry = models.ForeignKey(MedicalHistory, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=HistoryKind.choices)
    description = models.CharField(max_length=255)
    medication = models.ForeignKey(
        "billing.MedicationCost", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "billing.ProcedureFee", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    icd10 = models.ForeignKey(
        Icd10Code, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    attendance = models.ForeignKey(
        "appointments.Attendance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_billable = models.BooleanField()
    reaction = models.CharField(max_length=255, blank=True, default="", db_default="")
    severity = models.CharField(max_length=16, blank=True, default="", db_default="")
    drug_class = models.CharField(max_length=40, blank=True, default="", db_default="")
    written_at = models.DateTimeField(help_text="When this version was written.")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who wrote this version.",
    )
    reason = models.CharField(
        max_length=255, blank=True, help_text="Why this version corrected the one before."
    )
    superseded_at = models.DateTimeField()
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who wrote the correction that replaced this version.",
    )

    class Meta:
        ordering = ["entry", "-version"]
        verbose_name = "medical history revision"
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "version"],
                name="%(app_label)s_%(class)s_one_per_version",
                violation_error_message="This version of the entry is already kept.",
            ),
        ]
        # The entry's revisions, newest first, come from the unique (entry, version) index.

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description} (version {self.version})"

    def get_absolute_url(self) -> str:
        return reverse("clinical:history_revisions", args=[self.entry_id])
