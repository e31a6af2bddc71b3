"""The billing office's past: invoices, their lines and payments for the visits the seed gave.

The hospital sends each patient a statement per billing cycle (cycle billing: each patient's
cycle starts on a day of their own, so statements go out every day of the month): one invoice
of everything the hospital gave in the cycle, priced by the billing rule (the doctor's
consultation fee per visit, the price-list cost of each medication given, the fee of each
listed procedure), issued 6-12 days after the cycle ends. The cycle is a month, unless a year
of monthly invoices would not fit the six-digit invoice numbers of a year (INV-YYYY-NNNNNN):
then a quarter, half a year or a year (a million patients: a year). Items of the current
cycles are not billed yet: they are the "Ready to bill" page's work.

About 2 % of statements were voided a day after issue and issued again; 5 % of invoices are
never paid (overdue); the others are paid 3-60 days after issue, 8 % of them in two
instalments, so the recent ones are still open, some partly paid.

Written with INSERT … SELECT over what the seed has just loaded, in the seeding connection,
the items priced by the billing rule's own SQL function (`billing_unbilled_items`, what a
clerk's draft bills): the same rows a draft and its issue would write (invoice, lines carrying
`source_key` `attendance:<id>` / `history:<id>`, payments, the year's number counter), so
every constraint and trigger of billing holds and fires (the issue's immutability,
billed-once, payments within the balance and the summaries, checked again at commit).
Deterministic: every choice hashes the seed, the patient's place in the seed and the cycle
(`hashint8extended`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from billing.models import BillingSettings
from billing.pdf import header_for
from demo.loading import committed, prepare_session, set_constraints
from demo.plan import Plan
from patients.models import Patient

MAX_NUMBER = 999_999  # INV-YYYY-NNNNNN
PATIENT_CHUNK = 50_000  # patients whose invoices are written in one transaction
RULE_PATIENTS = 5_000  # patients priced by one call of the billing rule's function
# A year's statements, at most, for a cycle to be chosen: room left for the clerks' own.
YEAR_BUDGET = 800_000
CYCLES = (30, 91, 182, 365)  # days: a month, a quarter, half a year, a year
ISSUE_LAG = 6  # days after a cycle's end, plus 0-6
VOID_SHARE, NEVER_PAID, TWO_INSTALMENTS = 0.02, 0.05, 0.08
VOID_REASONS = (
    "Wrong consultation fee: issued again",
    "Billed to the wrong insurer: issued again",
    "Duplicate statement: issued again",
)
METHODS = (("card", 0.45), ("insurance", 0.25), ("cash", 0.15), ("bank_transfer", 0.15))
TABLES = {
    "invoices": "billing_invoice",
    "invoice lines": "billing_invoiceline",
    "payments": "billing_payment",
}


@dataclass(frozen=True)
class Billing:
    cycle: int  # days
    expected_per_year: int


def billing_cycle(plan: Plan, appointments: int) -> Billing:
    """The shortest cycle whose statements of a year fit YEAR_BUDGET (Poisson visits)."""
    past = appointments * plan.days / max(1, plan.n_days)
    visits_per_year = 0.8 * past / max(1, plan.patients) * 365 / max(1, plan.days)
    for cycle in CYCLES:
        expected = plan.patients * 365 / cycle * (1 - math.exp(-visits_per_year * cycle / 365))
        if expected <= YEAR_BUDGET:
            break
    return Billing(cycle, int(expected))


def _none(params: dict) -> dict:
    """`params` for a statement that reads no patient (the items' table made empty)."""
    return {**params, "item_lo": 0, "item_hi": 0}


def _u(key: str, salt: int) -> str:
    """SQL: a uniform number in [0, 1) from the bigint expression `key` and a salt."""
    return f"((hashint8extended(({key})::bigint, {salt}) & 2147483647)::float8 / 2147483648.0)"


def load_invoices(
    plan: Plan,
    first_patient_id: int,
    billing: Billing,
    *,
    commit_each: bool = False,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    """Issue, pay and void the seed's past statements; return rows written per table.

    Worked out once for all the seed's patients (temporary tables of this session), then
    written PATIENT_CHUNK patients at a time: with `commit_each`, each chunk is a bulk
    loader's transaction of its own (demo.loading.committed: the summaries are left to the
    seed's one rebuild at its end), else all go in the caller's transaction, triggers and all.
    """
    if not plan.patients or plan.days < 1:
        return {}
    salt = plan.seed * 1000
    settings = BillingSettings.load()
    hospital = header_for(patient=Patient(), settings=settings)["hospital"]
    params = {
        "lo": first_patient_id,
        "hi": first_patient_id + plan.patients,
        "first_day": plan.first_day,
        "days": plan.days,
        "cycle": billing.cycle,
        "zone": timezone.get_current_timezone_name(),
        "tax_rate": settings.tax_rate,
        "surgery_fee": settings.default_surgery_fee,
        "currency": settings.currency,
        "terms": settings.payment_terms_days,
        "hospital": Jsonb(hospital),
    }
    idx = "(patient_id - %(lo)s)"
    phase = f"floor({_u(idx, salt + 1)} * %(cycle)s)::int"
    counts = dict.fromkeys(TABLES, 0)
    started = last = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS demo_item, demo_invoice")
        items = _items(phase)
        cursor.execute(f"CREATE TEMP TABLE demo_item AS {items} WITH NO DATA", _none(params))
        for lo in range(params["lo"], params["hi"], RULE_PATIENTS):
            some = {**params, "item_lo": lo, "item_hi": min(lo + RULE_PATIENTS, params["hi"])}
            cursor.execute(f"INSERT INTO demo_item {items}", some)
        for statement in _statements(idx, phase, salt):
            cursor.execute(statement, params)
        cursor.execute("SELECT count(*) FROM demo_invoice")
        total = cursor.fetchone()[0]
    for lo in range(params["lo"], params["hi"], PATIENT_CHUNK):
        chunk = {**params, "chunk_lo": lo, "chunk_hi": min(lo + PATIENT_CHUNK, params["hi"])}
        with committed(commit_each, TABLES.values()), connection.cursor() as cursor:
            names = [] if commit_each else prepare_session(cursor, TABLES.values())
            for table, sql in zip(TABLES, _INSERTS, strict=True):
                cursor.execute(sql, chunk)
                counts[table] += cursor.rowcount
            set_constraints(cursor, names, "DEFERRED")
        if time.perf_counter() - last > 10:
            last = time.perf_counter()
            done = counts["invoices"]
            progress(f"  ... {done:,} of {total:,} invoices ({last - started:.0f} s)")
    with transaction.atomic() if commit_each else nullcontext(), connection.cursor() as cursor:
        cursor.execute(_COUNTERS)
        cursor.execute("DROP TABLE demo_item, demo_invoice")
    return counts


def _items(phase: str) -> str:
    """Every unbilled item of the patients `item_lo`..`item_hi`, priced by the billing rule
    itself (its one SQL function: the prices a clerk's draft would show), with the cycle of
    the statement it goes on. The rule's function takes a few thousand patients at a time:
    it finds their items through the patient indexes, one probe per patient."""
    return f"""
        SELECT *, (service_date - %(first_day)s::date + {phase}) / %(cycle)s AS cycle,
               {phase} AS phase
        FROM (
            SELECT i.patient_id, i.kind, i.source_key, i.description, i.service_date,
                   i.quantity, i.unit_price, i.amount, i.unpriced,
                   CASE i.kind WHEN 'consultation' THEN 0 WHEN 'surgery' THEN 1 ELSE 2 END
                       AS rank,
                   split_part(i.source_key, ':', 2)::bigint AS item_id
            FROM billing_unbilled_items(
                ARRAY(SELECT generate_series(%(item_lo)s::bigint, %(item_hi)s - 1)),
                %(surgery_fee)s, %(zone)s) i
        ) items
        WHERE service_date >= %(first_day)s::date
        """


def _statements(idx: str, phase: str, salt: int) -> list[str]:
    """The staging tables: every billed item with its statement, every invoice to write."""
    key = "(patient_id - %(lo)s) * 1000 + cycle"
    day = "%(first_day)s::date + {}"
    at = "(({day}) + make_interval(mins => {mins})) AT TIME ZONE %(zone)s"
    issue_day = (
        f"(cycle + 1) * %(cycle)s - phase + {ISSUE_LAG} + floor({_u(key, salt + 2)} * 7)::int"
    )
    lag1 = f"3 + least(57, floor(-ln(1 - {_u(key, salt + 5)}) * 16)::int)"
    lag2 = f"14 + floor({_u(key, salt + 6)} * 30)::int"
    method = (
        "CASE "
        + " ".join(
            f"WHEN {_u(key, salt + 7)} < {sum(s for _, s in METHODS[: i + 1])} THEN '{m}'"
            for i, (m, _) in enumerate(METHODS[:-1])
        )
        + f" ELSE '{METHODS[-1][0]}' END"
    )

    def office(purpose: int, first: int, span: int) -> str:
        """Minutes after midnight: from `first` for up to `span` (office hours)."""
        return f"{first} + floor({_u(key, salt + purpose)} * {span})::int"

    reasons = "ARRAY[" + ", ".join(f"'{r}'" for r in VOID_REASONS) + "]"
    return [
        # Statements issued before today; a voided one is issued again when voided.
        f"""
        CREATE TEMP TABLE demo_invoice AS
        WITH statement AS (
            -- each bills a visit (a consultation fee above zero): never the minimum charge
            SELECT patient_id, cycle, {issue_day} AS issue_day, sum(amount) AS subtotal
            FROM demo_item
            GROUP BY patient_id, cycle, phase
        ),
        issued AS (
            SELECT s.*, {_u(key, salt + 3)} < {VOID_SHARE} AND issue_day < %(days)s - 2
                       AS voided,
                   {at.format(day=day.format("issue_day"), mins=office(4, 540, 420))} AS issued_at,
                   round(subtotal * %(tax_rate)s, 2) AS tax
            FROM statement s
            WHERE issue_day < %(days)s AND subtotal > 0
        ),
        copies AS (
            SELECT i.*, copy, CASE WHEN i.voided AND copy = 1
                                   THEN i.issued_at + interval '1 day 10 minutes'
                                   ELSE i.issued_at END AS at
            FROM issued i CROSS JOIN LATERAL generate_series(
                CASE WHEN i.voided THEN 0 ELSE 1 END, 1) copy
        ),
        paying AS (
            SELECT c.*, copy = 0 AS void,
                   {_u(key, salt + 8)} < {NEVER_PAID} AS never,
                   {_u(key, salt + 9)} < {TWO_INSTALMENTS} AS two,
                   issue_day + copy * (voided::int) + {lag1} AS day1,
                   {lag2} AS gap,
                   round(subtotal * (0.3 + 0.4 * {_u(key, salt + 10)})::numeric, 2) AS part,
                   {method} AS method
            FROM copies c
        ),
        planned AS (
            SELECT p.*,
                   NOT void AND NOT never AND day1 < %(days)s AS pays1,
                   NOT void AND NOT never AND two AND day1 + gap < %(days)s AS pays2
            FROM paying p
        )
        SELECT p.*,
               row_number() OVER (PARTITION BY extract(year FROM at AT TIME ZONE %(zone)s)
                                  ORDER BY at, patient_id, copy) AS rank,
               extract(year FROM at AT TIME ZONE %(zone)s)::int AS year,
               CASE WHEN void THEN 'void'
                    WHEN pays1 AND (NOT two OR pays2) THEN 'paid'
                    ELSE 'issued' END AS status,
               {at.format(day=day.format("day1"), mins=office(11, 480, 600))} AS paid1_at,
               {at.format(day=day.format("day1 + gap"), mins=office(12, 480, 600))} AS paid2_at,
               ({reasons})[1 + floor({_u(key, salt + 13)} * {len(VOID_REASONS)})::int]
                   AS void_reason
        FROM planned p
        """,
        # Numbers continue each year's counter (or the highest number already written).
        """
        ALTER TABLE demo_invoice ADD COLUMN id bigint, ADD COLUMN number text
        """,
        """
        WITH taken AS (
            SELECT year, max(last) AS last FROM (
                SELECT year, last_number AS last FROM billing_invoicenumbercounter
                UNION ALL
                SELECT substr(number, 5, 4)::int, substr(number, 10)::int FROM billing_invoice
                WHERE number ~ '^INV-[0-9]{4}-[0-9]{6}$'
            ) t GROUP BY year
        )
        UPDATE demo_invoice i
        SET number = format('INV-%%s-%%s', i.year,
                            lpad((COALESCE(t.last, 0) + i.rank)::text, 6, '0'))
        FROM (SELECT DISTINCT year FROM demo_invoice) y LEFT JOIN taken t USING (year)
        WHERE y.year = i.year AND COALESCE(t.last, 0) + i.rank <= """
        + str(MAX_NUMBER),
        "DELETE FROM demo_invoice WHERE number IS NULL",
        """
        WITH ids AS (
            SELECT number, row_number() OVER (ORDER BY at, patient_id, copy) AS n
            FROM demo_invoice
        ),
        base AS (
            SELECT setval(pg_get_serial_sequence('billing_invoice', 'id'),
                          nextval(pg_get_serial_sequence('billing_invoice', 'id')) + n - 1)
                   - n + 1 AS first
            FROM (SELECT count(*) AS n FROM demo_invoice) c WHERE n > 0
        )
        UPDATE demo_invoice i SET id = base.first + ids.n - 1
        FROM ids, base WHERE ids.number = i.number
        """,
        "CREATE INDEX ON demo_invoice (patient_id)",
        "CREATE INDEX ON demo_item (patient_id, cycle)",
        "ANALYZE demo_invoice, demo_item",
    ]


_INSERT_INVOICES = """
INSERT INTO billing_invoice (
    id, created_at, updated_at, number, patient_id, status, issued_at, due_date, subtotal, tax,
    total, currency, pdf_sha256, void_reason, voided_at, tax_rate, snapshot, void_pdf_sha256)
SELECT i.id, i.at - interval '20 minutes',
       CASE i.status WHEN 'void' THEN i.at + interval '1 day'
                     WHEN 'paid' THEN CASE WHEN i.two THEN i.paid2_at ELSE i.paid1_at END
                     ELSE i.at END,
       i.number, i.patient_id, i.status, i.at,
       (i.at AT TIME ZONE %(zone)s)::date + %(terms)s, i.subtotal, i.tax, i.subtotal + i.tax,
       %(currency)s, '', CASE WHEN i.void THEN i.void_reason ELSE '' END,
       CASE WHEN i.void THEN i.at + interval '1 day' END, %(tax_rate)s,
       jsonb_build_object(
           'hospital', %(hospital)s::jsonb,
           'patient', jsonb_build_object(
               'name', trim(p.first_name || ' ' || p.last_name),
               'mrn', p.mrn,
               'address_lines', to_jsonb(array_remove(ARRAY[
                   nullif(p.address_line1, ''), nullif(p.address_line2, ''),
                   nullif(concat_ws(' ', nullif(p.city, ''), nullif(p.region, ''),
                                    nullif(p.postal_code, '')), ''),
                   nullif(p.country, '')], NULL)),
               'phone', p.phone)),
       ''
FROM demo_invoice i JOIN patients_patient p ON p.id = i.patient_id
WHERE i.patient_id >= %(chunk_lo)s AND i.patient_id < %(chunk_hi)s
ORDER BY i.id
"""

# A voided invoice's lines were freed when it was voided (inactive); its copy bills them.
_INSERT_LINES = """
INSERT INTO billing_invoiceline (
    created_at, updated_at, invoice_id, kind, description, quantity, unit_price, amount,
    source_key, is_active, service_date, unpriced)
SELECT i.at - interval '20 minutes', i.at - interval '20 minutes', i.id, t.kind, t.description,
       t.quantity, t.unit_price, t.amount, t.source_key, NOT i.void, t.service_date, t.unpriced
FROM demo_invoice i
JOIN demo_item t ON t.patient_id = i.patient_id AND t.cycle = i.cycle
WHERE i.patient_id >= %(chunk_lo)s AND i.patient_id < %(chunk_hi)s
ORDER BY i.id, t.service_date, t.rank, t.item_id
"""

_INSERT_PAYMENTS = """
INSERT INTO billing_payment (
    created_at, updated_at, invoice_id, amount, method, received_at, reference)
SELECT at, at, id, amount, method, at,
       CASE method WHEN 'insurance' THEN 'Claim ' || number
                   WHEN 'bank_transfer' THEN 'Transfer ' || number ELSE '' END
FROM (
    SELECT paid1_at AS at, id, number, method,
           CASE WHEN two THEN part ELSE subtotal + tax END AS amount
    FROM demo_invoice WHERE pays1
    UNION ALL
    SELECT paid2_at, id, number, method, subtotal + tax - part
    FROM demo_invoice WHERE pays2
) pay
WHERE pay.id IN (SELECT id FROM demo_invoice
                 WHERE patient_id >= %(chunk_lo)s AND patient_id < %(chunk_hi)s)
ORDER BY at, id
"""

_COUNTERS = """
INSERT INTO billing_invoicenumbercounter (created_at, updated_at, year, last_number)
SELECT now(), now(), year, max(substr(number, 10)::int) FROM demo_invoice GROUP BY year
ON CONFLICT (year) DO UPDATE SET
    last_number = greatest(billing_invoicenumbercounter.last_number, excluded.last_number),
    updated_at = excluded.updated_at
"""


_INSERTS = (_INSERT_INVOICES, _INSERT_LINES, _INSERT_PAYMENTS)


def describe(counts: dict[str, int], billing: Billing) -> str:
    return (
        f"billing cycle {billing.cycle} days (~{billing.expected_per_year:,} statements a year): "
        f"{counts.get('invoices', 0):,} invoices"
    )
