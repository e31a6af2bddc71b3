"""The ready-to-bill list pages by key (issue 14): Next and Previous carry the (latest item,
patient) of the row they start from, so a page deep in the list costs what the first does."""

import datetime
import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import selectors
from billing.models import PatientBill
from hms.dbroles import as_owner
from tests.billing.factories import medication, surgery
from tests.factories import PatientFactory

URL = reverse("billing:ready_to_bill")
DAY = datetime.date(2024, 6, 3)


def billable(day=DAY, **names):
    patient = PatientFactory(**names)
    surgery(patient, "Cast", day=day)
    return patient


def listed() -> list[int]:
    """Every patient with a bill, in the list's order worked out here: newest item first, a
    bill with no date last, the higher patient id first among equals."""
    bills = PatientBill.objects.values_list("latest", "patient_id")
    return [
        pk for _, pk in sorted(bills, key=lambda b: (b[0] is not None, b[0], b[1]), reverse=True)
    ]


def walk(size: int, **filters) -> list[selectors.ReadyPage]:
    pages = [selectors.ready_to_bill(limit=size, **filters)]
    while pages[-1].has_next:
        pages.append(selectors.ready_to_bill(limit=size, after=pages[-1].next_key, **filters))
        assert len(pages) < 100, "the walk goes round in circles"
    return pages


def walk_back(pages: list[selectors.ReadyPage], size: int) -> list[selectors.ReadyPage]:
    back = [pages[-1]]
    while back[-1].has_previous:
        back.append(selectors.ready_to_bill(limit=size, before=back[-1].previous_key))
        assert len(back) < 100, "the walk goes round in circles"
    return back[::-1]


def shown(pages) -> list[int]:
    return [row.patient.pk for page in pages for row in page.rows]


@pytest.fixture
def clerk(login, billing_clerk):
    return login(billing_clerk)


@pytest.mark.django_db
def test_it_walks_every_patient_once_newest_first_and_back_the_same_pages():
    # Three on one day: the patient id orders them, none is lost or shown twice at a page's
    # edge; the others a day apart.
    for day in (DAY, DAY, DAY, DAY.replace(day=1), DAY.replace(day=9), DAY.replace(day=2)):
        billable(day)
    medication(PatientFactory(), "Aspirin", is_billable=False)  # nothing to bill
    PatientFactory()  # nothing recorded

    pages = walk(4)
    assert [len(p.rows) for p in pages] == [4, 2]
    assert shown(pages) == listed() and len(set(shown(pages))) == 6
    assert [r.latest for r in pages[0].rows][:2] == [DAY.replace(day=9), DAY]

    for size in (1, 2, 3, 5, 6, 7):
        pages = walk(size)
        assert shown(pages) == listed(), size
        assert not pages[0].has_previous and all(p.has_previous for p in pages[1:])
        back = walk_back(pages, size)
        assert [shown([p]) for p in back] == [shown([p]) for p in pages], size


@pytest.mark.django_db(transaction=True)
def test_it_walks_the_patients_whose_latest_item_has_no_date_last_in_both_directions():
    """The triggers give every bill its newest service date, but the column allows none: such
    bills come last (the index's NULLS LAST), past a key of either kind, both ways."""
    dated = [billable(DAY - datetime.timedelta(days=n % 3)) for n in range(5)]
    undated = [billable() for _ in range(4)]
    ids = [p.pk for p in undated]
    with as_owner(connection), connection.cursor() as cursor:  # only the owner writes a bill
        cursor.execute(
            "UPDATE billing_patientbill SET latest = NULL WHERE patient_id = ANY(%s)", [ids]
        )
    order = listed()
    assert order[5:] == sorted(ids, reverse=True) and set(order[:5]) == {p.pk for p in dated}

    for size in (1, 2, 3, 4, 5, 6, 9, 10):
        pages = walk(size)
        assert shown(pages) == order, size
        assert [shown([p]) for p in walk_back(pages, size)] == [shown([p]) for p in pages], size
    # A key inside the undated part, and one on the last dated bill, each way.
    last_dated = PatientBill.objects.get(patient_id=order[4])
    assert shown([selectors.ready_to_bill(after=f".{order[6]}")]) == order[7:]
    assert shown([selectors.ready_to_bill(before=f".{order[6]}")]) == order[:6]
    assert shown([selectors.ready_to_bill(after=f"{last_dated.latest}.{order[4]}")]) == order[5:]
    assert shown([selectors.ready_to_bill(before=f"{last_dated.latest}.{order[4]}")]) == order[:4]
    # A filter on the date leaves the undated out, whatever the key.
    since = DAY - datetime.timedelta(days=1)
    assert shown(walk(2, since=since)) == [
        pk for pk in order[:5] if PatientBill.objects.get(patient_id=pk).latest >= since
    ]


def next_link(response) -> str:
    """The href of the page's "Next page" link (the query string the template made)."""
    match = re.search(r'href="([^"]*)">Next page<', response.content.decode())
    assert match, "no Next page link"
    return html.unescape(match[1])


@pytest.mark.django_db
def test_a_filter_survives_the_next_link(clerk, monkeypatch):
    monkeypatch.setattr("billing.views.ready.PER_PAGE", 2)
    anas = [
        billable(DAY - datetime.timedelta(days=n), first_name="Ana", last_name="Quill")
        for n in range(5)
    ]
    for n in range(4):
        billable(DAY + datetime.timedelta(days=n), first_name="Bob", last_name="Stone")
    medication(anas[3], "Unlisted", day=DAY - datetime.timedelta(days=3))  # unpriced

    response, seen = clerk.get(URL, {"q": "ana", "since": "2024-05-30"}), []
    while True:
        seen += [row.patient.pk for row in response.context["page"].rows]
        assert response.context["page"].count == 5
        if not response.context["page"].has_next:
            break
        link = next_link(response)
        assert "q=ana" in link and "since=2024-05-30" in link and "after=" in link
        response = clerk.get(URL + link)
        assert response.status_code == 200
    assert seen == [p.pk for p in anas]
    assert "Previous page" in response.content.decode()

    unpriced = clerk.get(URL, {"unpriced": "on"})
    assert [r.patient for r in unpriced.context["page"].rows] == [anas[3]]
    assert "Next page" not in unpriced.content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "not-a-key",
        "2024-13-01.5",  # no 13th month
        "2024-02-30.5",
        "0000-01-01.5",  # year 0
        "99999-01-01.5",
        "2024-01-01.99999999999999999999",  # past PostgreSQL's bigint
        "2024-01-01.9223372036854775808",
        "2024-01-01.",
        "2024-01-01.-5",
        "2024-01-01.5.6",
        "2024-01-01.5\n",
        "2024-01-01.5\x01",
        "\x1b[31m.5",
        "２０２４-01-01.5",  # full-width digits
        "2024-01-01.١٢",  # Arabic-Indic digits
        "2024-01-01." + "1" * 40,
        "." * 41,
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
@pytest.mark.django_db
def test_an_edited_or_garbled_token_shows_the_first_page_and_says_so(clerk, token, direction):
    patients = [billable(DAY - datetime.timedelta(days=n)) for n in range(3)]

    response = clerk.get(URL, {direction: token, "q": ""})

    assert response.status_code == 200
    assert [r.patient for r in response.context["page"].rows] == patients
    assert any("That page link is out of date" in str(m) for m in response.context["messages"])
    with pytest.raises(ValueError):
        selectors.ready_to_bill(**{direction: token})


@pytest.mark.django_db
def test_a_nul_in_a_token_is_refused_as_in_any_query_string(clerk):
    """core.middleware answers 400 to a NUL anywhere, before a view reads it; the selector
    would not take one either."""
    billable()

    assert clerk.get(URL, {"after": f"{DAY}.5\x00"}).status_code == 400
    with pytest.raises(ValueError):
        selectors.ready_to_bill(after=f"{DAY}.5\x00")


@pytest.mark.django_db
def test_a_good_token_says_nothing_and_an_old_page_number_shows_the_first_page(clerk):
    patients = [billable(DAY - datetime.timedelta(days=n)) for n in range(3)]

    after = clerk.get(URL, {"after": f"{DAY}.{patients[0].pk}"})
    old = clerk.get(URL, {"page": "3"})

    assert [r.patient for r in after.context["page"].rows] == patients[1:]
    assert not list(after.context["messages"])
    assert [r.patient for r in old.context["page"].rows] == patients
    # Past the last patient (billed meanwhile): no rows, and the way back to the first page.
    gone = clerk.get(URL, {"after": f"{DAY.replace(year=1990)}.1"})
    assert gone.context["page"].rows == [] and ">First page<" in gone.content.decode()


@pytest.mark.django_db
def test_a_page_deep_in_the_list_costs_the_queries_of_the_first_and_no_offset(clerk):
    for n in range(130):
        billable(DAY - datetime.timedelta(days=n // 7))
    clerk.get(URL)  # the session is written at most once a minute: not in what is counted
    deep = listed()[119]

    def captured(**query) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = clerk.get(URL, query)
        assert response.status_code == 200
        return [q["sql"] for q in queries.captured_queries]

    first = captured()
    second = captured(after=clerk.get(URL).context["page"].next_key)
    last = captured(after=f"{PatientBill.objects.get(patient_id=deep).latest}.{deep}")
    back = captured(before=f"{PatientBill.objects.get(patient_id=deep).latest}.{deep}")

    assert len(first) == len(second) == len(last) == len(back)
    assert not any("OFFSET" in sql for sql in first + second + last + back)
    page = clerk.get(URL, {"after": f"{PatientBill.objects.get(patient_id=deep).latest}.{deep}"})
    assert [r.patient.pk for r in page.context["page"].rows] == listed()[120:]


@pytest.mark.django_db
def test_the_page_after_a_key_starts_at_the_key_in_the_index():
    """The key is a row comparison the index (latest desc, patient desc) answers as a range,
    not a filter over every row before it: a page deep in a million bills reads ~limit rows."""
    patients = [billable(DAY - datetime.timedelta(days=n % 4)) for n in range(12)]
    key = f"{DAY}.{patients[-1].pk}"
    with CaptureQueriesContext(connection) as queries:
        selectors.ready_to_bill(after=key)
    with connection.cursor() as cursor:
        # A dozen rows would be read whole; the planner shows what it can do with the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + queries.captured_queries[-1]["sql"])
        plan = json.dumps(cursor.fetchone()[0])
    assert "billing_patientbill_latest" in plan
    assert re.search(r'"Index Cond": "\(ROW\(latest, patient_id\) < ROW\(', plan), plan
