"""The filters a page with many rows uses instead of `{% url %}` and `|date:"j M Y"`: the
same text, whatever the key, the day or the time zone."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import timezone, translation

from core.urls import named_url, pk_url

ENGINE = engines["django"]


def render(source: str, **context) -> str:
    return ENGINE.from_string(source).render(context)


@pytest.mark.parametrize("pk", [1, 9, 10, 12345, 2**40])
@pytest.mark.parametrize(
    "name", ["clinical:visit_record", "clinical:history_correct", "clinical:chart"]
)
def test_a_key_url_is_the_reversed_url(name, pk):
    assert pk_url(name)(pk) == reverse(name, args=[pk])
    assert render("{% load pk_urls %}{{ pk|pk_url:name }}", pk=pk, name=name) == reverse(
        name, args=[pk]
    )


def test_a_key_url_follows_the_script_prefix():
    try:
        set_script_prefix("/hms/")
        assert pk_url("clinical:chart")(7) == reverse("clinical:chart", args=[7])
        assert pk_url("clinical:chart")(7).startswith("/hms/")
    finally:
        set_script_prefix("/")
    assert pk_url("clinical:chart")(7) == reverse("clinical:chart", args=[7])


def test_a_url_without_a_key_is_refused_as_url_refuses_it():
    with pytest.raises(NoReverseMatch):
        pk_url("home")(1)


@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2024, 3, 5),
        datetime.date(999, 12, 31),
        datetime.date(2026, 1, 31),
        None,
        "",
        "not a date",
    ],
)
def test_a_day_reads_as_the_date_filter_writes_it(value):
    assert render("{% load days %}{{ v|day }}", v=value) == render('{{ v|date:"j M Y" }}', v=value)


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_a_moment_is_the_hospital_day_it_fell_on():
    # 20:30 UTC on 5 March is 6 March in Auckland (UTC+13 then).
    moment = datetime.datetime(2024, 3, 5, 20, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    with timezone.override("Pacific/Auckland"):
        shown = render("{% load days %}{{ v|day }}", v=moment)
        assert shown == render('{{ v|date:"j M Y" }}', v=moment) == "6 Mar 2024"


def test_a_day_names_the_month_in_the_active_language():
    value = datetime.date(2024, 5, 1)
    with translation.override("de"):
        assert render("{% load days %}{{ v|day }}", v=value) == render(
            '{{ v|date:"j M Y" }}', v=value
        )


def test_a_named_url_is_the_reversed_url_under_its_script_prefix():
    assert named_url("patients:patient_list") == reverse("patients:patient_list")
    try:
        set_script_prefix("/hms/")
        assert named_url("patients:patient_list") == reverse("patients:patient_list")
        assert named_url("patients:patient_list").startswith("/hms/")
    finally:
        set_script_prefix("/")
    with pytest.raises(NoReverseMatch):
        named_url("no_such_page")


def test_a_url_taken_once_gives_each_rows_url():
    source = (
        '{% load pk_urls %}{% key_url "clinical:history_correct" as correct %}'
        "{% for pk in keys %}{{ correct|of:pk }} {% endfor %}"
    )
    keys = [1, 22, 333]
    expected = "".join(f"{reverse('clinical:history_correct', args=[pk])} " for pk in keys)
    assert render(source, keys=keys) == expected
