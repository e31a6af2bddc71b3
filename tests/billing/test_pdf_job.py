"""Issuing queues the PDF's rendering; a real worker on the real database stores it once."""

import hashlib

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from billing import services
from billing.models import Invoice
from tests.billing.factories import drafted, visit
from tests.billing.test_pdf import text_of
from tests.factories import PatientFactory
from tests.jobs.worker import run_worker


@pytest.mark.django_db(transaction=True)
def test_the_worker_stores_the_pdf_of_an_issued_invoice_once():
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    visit(patient, fee="80.00")
    invoice = services.invoice_issue(invoice=drafted(patient), by=None)

    assert Invoice.objects.get(pk=invoice.pk).pdf is None
    job = ProcrastinateJob.objects.get(task_name="billing.store_invoice_pdf")
    assert job.args == {"invoice_id": invoice.pk} and job.status == "todo"

    run_worker()

    stored = Invoice.objects.get(pk=invoice.pk)
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "succeeded"
    assert hashlib.sha256(bytes(stored.pdf)).hexdigest() == stored.pdf_sha256
    assert invoice.number in text_of(stored.pdf) and "80.00" in text_of(stored.pdf)
    # A second run of the same job (a retry) changes nothing.
    services.invoice_pdf_store(invoice_id=invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).pdf_sha256 == stored.pdf_sha256


@pytest.mark.django_db(transaction=True)
def test_no_job_is_left_behind_by_an_issue_that_rolled_back(monkeypatch):
    patient = PatientFactory()
    visit(patient, fee="10.00")
    draft = drafted(patient)

    def broken(**kwargs):
        raise RuntimeError("audit log unreachable")

    monkeypatch.setattr(services.invoices.audit, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.invoice_issue(invoice=draft, by=None)

    assert not ProcrastinateJob.objects.filter(task_name="billing.store_invoice_pdf").exists()


@pytest.mark.django_db(transaction=True)
def test_more_than_a_handful_of_invoices_print_as_one_pdf_made_by_a_job(fast_pdf, client):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    from billing.models import InvoiceBatch
    from core import roles
    from tests.billing.factories import issued
    from tests.factories import UserFactory

    clerk = UserFactory(username="printer", role=roles.BILLING_CLERK)
    invoices = []
    for _ in range(12):
        patient = PatientFactory()
        visit(patient, fee="10.00")
        invoices.append(issued(patient))
    client.force_login(clerk)

    asked = client.get(reverse("billing:invoice_batch_pdf"), {"ids": [i.pk for i in invoices]})

    batch = InvoiceBatch.objects.get()
    assert asked.status_code == 302 and asked.url == batch.get_absolute_url()
    waiting = client.get(batch.get_absolute_url())
    assert "Being put together" in waiting.content.decode()
    assert client.get(reverse("billing:batch_pdf", args=[batch.pk])).status_code == 302

    run_worker()

    ready = client.get(batch.get_absolute_url())
    assert "Download the PDF" in ready.content.decode()
    download = client.get(reverse("billing:batch_pdf", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(download.content)).pages) == 12
    # Someone else's batch is not theirs to see.
    client.force_login(UserFactory(username="other", role=roles.BILLING_CLERK))
    assert client.get(batch.get_absolute_url()).status_code == 404
