"""The fuzz's fingerprint (tests/hms/fuzz.py) sees every change, though it reuses the digest
of a table the transaction has not written since: otherwise the fuzz would pass blind."""

import pytest
from django.db import transaction

from patients.models import Patient
from tests.factories import PatientFactory
from tests.hms import fuzz

pytestmark = pytest.mark.django_db


def test_a_write_after_a_digest_changes_the_table_s_digest_only():
    patient = PatientFactory()
    before = fuzz.database_fingerprint()
    assert fuzz.database_fingerprint() == before  # nothing written: the same digests

    Patient.objects.filter(pk=patient.pk).update(first_name="Changed")
    after = fuzz.database_fingerprint()

    changed = {label for label in after if after[label] != before[label]}
    assert changed == {"patients.Patient"}


def test_an_undone_write_leaves_the_digest_as_it_was():
    PatientFactory()
    before = fuzz.database_fingerprint()
    with pytest.raises(RuntimeError), transaction.atomic():
        PatientFactory()
        raise RuntimeError("undo")
    assert fuzz.database_fingerprint() == before


def test_a_new_row_and_a_deleted_row_both_show():
    patient = PatientFactory()
    before = fuzz.database_fingerprint()
    PatientFactory()
    added = fuzz.database_fingerprint()
    Patient.objects.filter(pk=patient.pk).delete()
    removed = fuzz.database_fingerprint()
    assert before["patients.Patient"] != added["patients.Patient"] != removed["patients.Patient"]
