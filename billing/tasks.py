"""Billing's background jobs (procrastinate; see jobs/__init__.py)."""

from __future__ import annotations

from jobs import app


@app.task(name="billing.store_invoice_pdf", retry=5)
def store_invoice_pdf(*, invoice_id: int) -> None:
    """Render and store an issued invoice's PDF (idempotent: a stored PDF is left alone)."""
    from billing.services import invoice_pdf_store

    invoice_pdf_store(invoice_id=invoice_id)


@app.task(name="billing.print_invoice_batch", retry=3)
def print_invoice_batch(*, batch_id: int) -> None:
    """Put a batch of invoices' PDFs together into one (idempotent)."""
    from billing.services.batches import invoice_batch_build

    invoice_batch_build(batch_id=batch_id)
