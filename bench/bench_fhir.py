"""The FHIR API's searches at two sizes of hospital, in one run.

    bench/bench_fhir.py --database 10k=postgres://... --database 1m=postgres://... [--rounds 20]
    DATABASE_URL=postgres://... bench/bench_fhir.py       (that one database: no size ratio)

`make bench` (bench/run.sh) runs it on the reports benchmark's databases (hms_bench10k,
hms_bench1m, seeded by `seed_demo`). Each database is measured by a process of its own, as a
client of the API does it: the bench's administrator (made once in the bench's own database)
with a personal API token sent as `Authorization: Bearer`, each request through the whole
middleware, the token check, the throttle (raised for the bench: HMS_FHIR_RATE) and the audit
row a read of patient data writes.

* the baseline: bench/urls.py's bare view (one primary-key SELECT behind the same middleware,
  signed in by session), fetched between every search all through the run, so each ratio is to
  the same figure;
* `Patient?name=` the hospital's commonest surname and its rarest one (names by their start,
  patients.name_start), the commonest misspelt (no name starts so: the front desk's
  close-spelling search, measured but held to no goal: it reads every near match, so its cost
  follows how many patients have a similar name), and `Patient?identifier=` an MRN;
* `Patient?gender=female` page 1, and the page deep in the list (its `_cursor` made for the
  row at 90 % of the patients, as the `next` links make it): keyset paging, no OFFSET;
* `Slot?schedule=` the free slots of the doctor with the most appointments, page 1 and its
  `next` page (when the server serves Slot).

Requests per second are 1 / median time (`--rounds` fetches after one warm-up). Goals, marked
PASS/FAIL, for every search but the misspelt name: at the largest size at least 0.2 of the
baseline's requests/s; the share of the baseline at the largest size at least 0.7 of the
share at the smallest. The exit status is 1 when a goal fails or a search does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import figures, mark, measure_each, pages_tables  # noqa: E402

BASELINE = "baseline: bare view"
MISSPELT = "Patient?name= misspelt"
NO_GOAL = {MISSPELT}
PAGE_GOAL, SCALE_GOAL = 0.2, 0.7
DEEP_AT = 0.9


def _setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("HMS_FHIR_RATE", "100000000")  # the bench measures, not throttles
    import django

    django.setup()


class PageError(Exception):
    """A request that did not answer 200: reported, and the run goes on."""


def _fetch(client, path: str, headers: dict) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        body = response.content
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise PageError(f"answered {response.status_code}: {body[:200]!r}")
    return seconds, len(queries.captured_queries), len(body)


def _measure(client, path: str, rounds: int, headers: dict | None = None) -> dict:
    headers = headers or {}
    try:
        _fetch(client, path, headers)
    except PageError as error:
        print(f"    {path} {error}", file=sys.stderr, flush=True)
        return {"path": path, "error": str(error)[:120]}
    runs = [_fetch(client, path, headers) for _ in range(rounds)]
    times = [seconds for seconds, _, _ in runs]
    return figures(path, times, runs[-1][1], runs[-1][2])


def _searches() -> list[tuple[str, str]]:
    """(label, path) of each search, chosen from the database (untimed)."""
    from django.db.models import Count
    from django.http import QueryDict

    from appointments.models import Appointment
    from fhir.registry import TYPES
    from fhir.search import parse_search
    from patients.models import Patient

    common = (
        Patient.objects.values("last_name")
        .annotate(n=Count("id"))
        .order_by("-n", "last_name")
        .values_list("last_name", flat=True)
        .first()
    )
    rare = (
        Patient.objects.values("last_name")
        .annotate(n=Count("id"))
        .order_by("n", "last_name")
        .values_list("last_name", flat=True)
        .first()
    )
    patient = Patient.objects.order_by("pk").only("mrn").first()
    base = "/fhir/R4"
    searches = [
        ("Patient?name= commonest", f"{base}/Patient?name={common}"),
        ("Patient?name= rarest", f"{base}/Patient?name={rare}"),
        (MISSPELT, f"{base}/Patient?name={_misspelt(common)}"),
        ("Patient?identifier=", f"{base}/Patient?identifier={patient.mrn}"),
        ("Patient?gender=female", f"{base}/Patient?gender=female"),
    ]
    females = Patient.objects.filter(sex="female").order_by("pk").values_list("pk", flat=True)
    n = females.count()
    if n > 40:
        deep = females[int(n * DEEP_AT)]
        search = parse_search(TYPES["Patient"], QueryDict("gender=female"))
        searches.append(
            (
                "Patient?gender=female deep page",
                search.link(f"{base}/Patient", cursor=search.cursor_after([deep])),
            )
        )
    if "Slot" in TYPES:
        busiest = (
            Appointment.objects.values("doctor")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("doctor", flat=True)
            .first()
        )
        if busiest is not None:
            searches.append(("Slot?schedule=", f"{base}/Slot?schedule=Schedule/{busiest}"))
    return searches


def _misspelt(name: str) -> str:
    """`name` with its last two letters swapped (Smith: Smiht): no name starts so, and the
    search falls back on the front desk's close spellings."""
    return name[:-2] + name[-1] + name[-2] if len(name) > 3 else name + "x"


def _next_link(client, path: str, headers: dict) -> str | None:
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        return None
    for link in json.loads(response.content).get("link", []):
        if link.get("relation") == "next":
            parts = urlsplit(link["url"])
            return f"{parts.path}?{parts.query}"
    return None


def measure(rounds: int) -> dict:
    _setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)

    from appointments.models import Appointment
    from bench.bench_reports import BENCH_USER, _admin_client
    from fhir.models import ApiToken
    from fhir.services import api_token_create, api_token_revoke
    from patients.models import Patient

    session = _admin_client()  # the bench's administrator, signed in with the second step
    from django.contrib.auth.models import User
    from django.test import Client

    admin = User.objects.get(username=BENCH_USER)
    for old in ApiToken.objects.filter(user=admin, name="Bench", revoked_at__isnull=True):
        api_token_revoke(token=old, by=admin)
    _, secret = api_token_create(user=admin, name="Bench", lifetime_days=30, by=admin)
    api, auth = Client(raise_request_exception=False), {"Authorization": f"Bearer {secret}"}
    first = Patient.objects.order_by("pk").values_list("pk", flat=True).first()
    baseline_path = f"/bench/baseline/{first}/"
    out = {
        "patients": Patient.objects.count(),
        "appointments": Appointment.objects.count(),
        "pages": {},
    }
    searches = _searches()
    base = [_measure(session, baseline_path, rounds)]
    for label, path in searches:
        print(f"  {label}...", file=sys.stderr, flush=True)
        out["pages"][label] = _measure(api, path, rounds, auth)
        base.append(_measure(session, baseline_path, rounds))
        if label.startswith("Slot") and "error" not in out["pages"][label]:
            following = _next_link(api, path, auth)
            if following:
                out["pages"][f"{label} next page"] = _measure(api, following, rounds, auth)
                base.append(_measure(session, baseline_path, rounds))
    times = [t for b in base if "times" in b for t in b["times"]]
    if not times:
        raise SystemExit(f"the baseline {baseline_path} did not answer: {base[0]}")
    out["pages"] = {
        BASELINE: figures(baseline_path, times, base[0]["queries"], int(base[0]["kb"] * 1024)),
        **out["pages"],
    }
    return out


def report(results: dict[str, dict]) -> bool:
    """Print the tables; True when every goal holds."""
    ok = pages_tables(
        results,
        baseline=BASELINE,
        page_goal=PAGE_GOAL,
        scale_goal=SCALE_GOAL,
        no_goal=frozenset(NO_GOAL),
        describe=lambda label, r: (
            f"{label}: {r['patients']:,} patients, {r['appointments']:,} appointments"
        ),
    )
    print(f"\nAll goals: {mark(ok)}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", action="append", default=[], metavar="LABEL=URL")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(max(1, args.rounds))))
        return 0
    results = measure_each(__file__, args.database, args.rounds, args.json)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
