# An allergy's drug class is one the allergy check knows (patients.AllergyDrugClass), or none:
# the database refuses a misspelt class, which the check would ignore, from any writer (the
# admin's correction form, an import, a script). A class already stored in another spelling
# of a known one ("Penicillins ", "Penicillin") is written as that class; any other is taken
# off the entry with a correction reason naming it, and the corrections trigger keeps the
# version that had it.

from django.db import migrations, models

_CLASSES = [
    ("penicillins", "Penicillins"),
    ("cephalosporins", "Cephalosporins"),
    ("sulfonamides", "Sulfonamide antibiotics"),
    ("nsaids", "NSAIDs (anti-inflammatory pain relievers)"),
    ("macrolides", "Macrolides"),
    ("opioids", "Opioids"),
]


def _known(value: str) -> str:
    plain = " ".join(value.split()).casefold()
    for key, label in _CLASSES:
        if plain in (key, key.rstrip("s"), label.casefold()):
            return key
    return ""


def known_classes_only(apps, schema_editor):
    MedicalHistory = apps.get_model("patients", "MedicalHistory")
    keys = [key for key, _ in _CLASSES]
    strays = MedicalHistory.objects.exclude(drug_class="").exclude(drug_class__in=keys)
    for entry in strays.only("id", "drug_class"):
        key = _known(entry.drug_class)
        reason = (
            "Drug class written as a known class"
            if key
            else f"Unknown drug class “{entry.drug_class[:40]}” taken off (the allergy check "
            "ignored it)"
        )
        MedicalHistory.objects.filter(pk=entry.pk).update(
            drug_class=key, correction_reason=reason[:255]
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_chart_indexes")]

    operations = [
        migrations.RunPython(known_classes_only, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="medicalhistory",
            name="drug_class",
            field=models.CharField(
                blank=True,
                choices=_CLASSES,
                db_default="",
                default="",
                max_length=40,
                verbose_name="drug class",
            ),
        ),
        migrations.AddConstraint(
            model_name="medicalhistory",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("drug_class", ""),
                    ("drug_class__in", [key for key, _ in _CLASSES]),
                    _connector="OR",
                ),
                name="patients_medicalhistory_drug_class_valid",
                violation_error_message="Unknown drug class.",
            ),
        ),
    ]
