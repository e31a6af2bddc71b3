"""Printing many invoices as one PDF: a job puts the stored PDFs together."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing import pdf, selectors, tasks
from billing.models import BatchStatus, InvoiceBatch
from billing.services.issue import invoice_pdf_store

logger = logging.getLogger(__name__)


@transaction.atomic
def invoice_batch_request(*, ids: list[int], by: Any) -> InvoiceBatch:
    """Queue the printing of the invoices `ids` (in number order) as one PDF."""
    batch = InvoiceBatch.objects.create(requested_by=by, invoice_ids=list(ids))
    tasks.print_invoice_batch.defer(batch_id=batch.pk)
    return batch


def invoice_batch_build(*, batch_id: int) -> bool:
    """Put the batch's PDFs together (idempotent: a finished batch is left alone)."""
    with transaction.atomic():
        batch = InvoiceBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != BatchStatus.QUEUED:
            return False
        try:
            found = selectors.invoices_for_batch(ids=batch.invoice_ids)
            for invoice in found:
                if invoice.pdf is None:
                    invoice_pdf_store(invoice_id=invoice.pk)
            found = selectors.invoices_for_batch(ids=batch.invoice_ids)
            documents = [bytes(i.void_pdf or i.pdf) for i in found if i.void_pdf or i.pdf]
            batch.pdf = pdf.merge(documents)
            batch.status = BatchStatus.READY
        except Exception as exc:  # noqa: BLE001 - the clerk sees that it failed, the log why
            logger.exception("Invoice batch %s failed", batch_id)
            batch.status, batch.error = BatchStatus.FAILED, str(exc)[:255]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["pdf", "status", "error", "finished_at", "updated_at"])
    return True
