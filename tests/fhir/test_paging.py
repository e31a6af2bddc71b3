"""Search results page by key: `next` links carry the last row's key (signed), so every
patient is met exactly once, a deep page costs the queries of the first, and an edited or
foreign link is refused as out of date."""

import urllib.parse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle

from fhir.search import MAX_COUNT
from tests.factories import PatientFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db


def walk(api, **query) -> tuple[list[str], list[Bundle]]:
    """Every page of a search from the first, following `next`."""
    pages = [parsed(api(url("patient_search"), **query), Bundle)]
    while (following := link(pages[-1], "next")) is not None:
        pages.append(parsed(api(following), Bundle))
        assert len(pages) < 100
    return [p.id for page in pages for p in entries(page)], pages


def test_it_walks_every_patient_exactly_once_two_at_a_time(api):
    made = {str(p.pk) for p in PatientFactory.create_batch(7)}

    ids, pages = walk(api, _count="2")

    assert len(ids) == len(set(ids)) == 7
    assert set(ids) == made
    assert ids == sorted(ids, key=int)
    assert [len(entries(page)) for page in pages] == [2, 2, 2, 1]
    # Counting every match would cost a scan: only a first page that holds them all says it.
    assert [page.total for page in pages] == [None, None, None, None]


def test_it_walks_a_name_search_in_name_order_exactly_once(api):
    for first in ("Eve", "Cara", "Ann", "Dina", "Bea"):
        PatientFactory(first_name=first, last_name="Okonkwo")
    PatientFactory(first_name="Okonkwo", last_name="Adeyemi")  # the given name starts so
    PatientFactory(first_name="Okonkwo", last_name="Okonkwo")  # both do: met once
    PatientFactory(first_name="Ike", last_name="Okonkwoson")
    PatientFactory(first_name="Olga", last_name="Okonkwa")  # a near name: not a start
    PatientFactory(first_name="Zed", last_name="Brown")

    ids, pages = walk(api, name="okonkwo", _count="2")

    bundle = parsed(api(url("patient_search"), name="okonkwo", _count="100"), Bundle)
    assert ids == [p.id for p in entries(bundle)]
    assert [p.name[0].text for p in entries(bundle)] == [
        "Okonkwo Adeyemi",
        "Ann Okonkwo",
        "Bea Okonkwo",
        "Cara Okonkwo",
        "Dina Okonkwo",
        "Eve Okonkwo",
        "Okonkwo Okonkwo",
        "Ike Okonkwoson",
    ]
    assert bundle.total == 8
    assert [len(entries(page)) for page in pages] == [2, 2, 2, 2]


def test_it_keeps_the_search_in_its_links(api):
    PatientFactory.create_batch(3, sex="male")
    PatientFactory(sex="female")

    bundle = parsed(api(url("patient_search"), gender="male", _count="2"), Bundle)
    following = urllib.parse.urlsplit(link(bundle, "next"))
    query = urllib.parse.parse_qs(following.query)

    assert following.path == url("patient_search")
    assert query["gender"] == ["male"] and query["_count"] == ["2"]
    assert link(bundle, "self").endswith("?gender=male&_count=2")
    second = parsed(api(link(bundle, "next")), Bundle)
    assert [p.gender for p in entries(second)] == ["male"]
    assert link(second, "self") == link(bundle, "next")


def test_a_deep_page_costs_the_queries_of_the_first(api):
    PatientFactory.create_batch(12)
    api(url("patient_search"))  # the token made, the throttle's row there

    with CaptureQueriesContext(connection) as first_page:
        bundle = parsed(api(url("patient_search"), _count="2"), Bundle)
    for _ in range(4):
        bundle = parsed(api(link(bundle, "next")), Bundle)
    with CaptureQueriesContext(connection) as deep_page:
        parsed(api(link(bundle, "next")), Bundle)

    assert len(deep_page) == len(first_page)
    assert not any("OFFSET" in q["sql"] for q in deep_page.captured_queries)


def test_it_caps_the_page_size(api):
    PatientFactory.create_batch(3)

    bundle = parsed(api(url("patient_search"), _count="5000"), Bundle)

    assert link(bundle, "self").endswith(f"_count={MAX_COUNT}")
    assert len(entries(bundle)) == 3


@pytest.mark.parametrize("count", ["0", "-1", "two", "1.5"])
def test_it_refuses_a_page_size_that_is_no_whole_number(api, count):
    assert "_count" in outcome_of(api(url("patient_search"), _count=count), 400)


def test_it_refuses_an_edited_page_link_as_out_of_date(api):
    PatientFactory.create_batch(3)
    bundle = parsed(api(url("patient_search"), _count="1"), Bundle)
    cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(link(bundle, "next")).query)["_cursor"][0]

    for edited in (cursor[:-2] + "xx", "garbage", cursor + cursor, [cursor, cursor]):
        response = api(url("patient_search"), _count="1", _cursor=edited)
        assert "out of date" in outcome_of(response, 400)
    # An empty value is no value (FHIR): the first page.
    again = parsed(api(url("patient_search"), _count="1", _cursor=""), Bundle)
    assert entries(again)[0].id == entries(bundle)[0].id


def test_it_refuses_a_page_link_of_another_search(api):
    PatientFactory.create_batch(3, sex="male")
    bundle = parsed(api(url("patient_search"), gender="male", _count="1"), Bundle)
    cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(link(bundle, "next")).query)["_cursor"][0]

    response = api(url("patient_search"), gender="female", _count="1", _cursor=cursor)

    assert "out of date" in outcome_of(response, 400)
    # The page size may change between pages: the key still belongs to this search.
    changed = parsed(api(url("patient_search"), gender="male", _count="5", _cursor=cursor), Bundle)
    assert len(entries(changed)) == 2
