"""The whole hospital's day on one screen, and booking from it in three clicks, in Chromium.

40 doctors fit the day grid at 1280×800: no sideways scrolling of the grid or the page, every
doctor's column in view and named; the doctors' row stays on top when the grid scrolls to the
evening, and the specialty filter leaves that specialty's doctors. A free cell, a patient
suggestion and the confirmation book the visit (the patient's name is typed, not clicked); it
comes back highlighted, below the doctors' row and in the viewport, with its message in view
too. On a phone (390 px) the day is a list per doctor and no page scrolls sideways; a wide
screen gets the list too when asked. The day list prints one doctor a page on A4, and one
doctor's list downloads as CSV with the rows it shows.

The hospital's clock is the front-desk journey's fixed Monday morning. Screenshots go to the
folder named by HMS_SCREENSHOTS, when it is set (docs/screenshots/ keeps the project's).
"""

import csv
import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appointments.models import Appointment, AppointmentStatus
from core import roles
from patients.models import Patient
from tests.appointments.factories import bulk_patients
from tests.e2e.test_front_desk_journey import (  # noqa: F401 (hospital_clock: a fixture)
    JOURNEY_DAY,
    hospital_clock,
    log_in,
)
from tests.factories import (
    DoctorFactory,
    SpecialtyFactory,
    TimeOffFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# An A4 page less its margins (static/appointments/day_list.css), at 96 pixels an inch.
A4_CONTENT = {"width": 718, "height": 1032}
DAY_PAGE = f"/appointments/?day={JOURNEY_DAY}"

SPECIALTIES = ["Cardiology", "Dermatology", "Family Medicine", "Neurology", "Orthopedics"]
SURNAMES = (
    "Abbott Achterberg Bergström Castellanos Dubois Eriksen Fontaine Gallagher Haddad Ishikawa "
    "Jovanović Kowalczyk Lindqvist Mbeki Nakamura Okafor Petrović Quintero Rasmussen Schneider "
    "Takahashi Uddin Vasquez Wojcik Xiong Yilmaz Andersson Brennan Chowdhury Delacroix Esposito "
    "Fitzgerald Gonçalves Hernández Ivanova Jankowski Kristiansen Laurent Moreau Zimmermann"
).split()
FIRST_NAMES = "Ada Ben Chloé Dev Elif Femi Greta Hugo Ines Jonas".split()


def shoot(page: Page, name: str, **options) -> None:
    """A screenshot into HMS_SCREENSHOTS, when it names a folder."""
    folder = os.environ.get("HMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), **options)


def local(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(JOURNEY_DAY, datetime.time(hour, minute)))


@pytest.fixture
def hospital(transactional_db, role_groups, hospital_clock):  # noqa: F811
    """40 doctors of five specialties working weekdays 08:00–17:00 (Zimmermann, the last
    column, until 20:00, so the day is taller than the screen), a morning of visits each (the
    earliest completed or checked in by now), some away over lunch; the patient Ada Byron."""
    specialties = [SpecialtyFactory(name=name) for name in SPECIALTIES]
    doctors = []
    for n, surname in enumerate(SURNAMES):
        doctor = DoctorFactory(
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            last_name=surname,
            specialty=specialties[n % len(specialties)],
        )
        for weekday in range(5):
            WorkingHoursFactory(
                doctor=doctor,
                weekday=weekday,
                start_time=datetime.time(8, 0),
                end_time=datetime.time(20 if surname == "Zimmermann" else 17, 0),
                valid_from=datetime.date(2020, 1, 1),
            )
        if n % 6 == 2:
            TimeOffFactory(doctor=doctor, start=local(12), end=local(13), reason="Meeting")
        doctors.append(doctor)
    patients = bulk_patients(len(doctors) * 4, prefix="P")
    visits = []
    for n, doctor in enumerate(doctors):
        times = [(8, 0), (8, 30), (9, 30 if n % 2 else 0), (10 + n % 2, 30), (13 + n % 4, 30)]
        for k, (hour, minute) in enumerate(times[: 3 + n % 3]):
            status = AppointmentStatus.SCHEDULED
            if k == 0 and n % 3:
                status = AppointmentStatus.COMPLETED if n % 3 == 1 else AppointmentStatus.CHECKED_IN
            visits.append(
                Appointment(
                    doctor=doctor,
                    patient=patients[(n * 4 + k) % len(patients)],
                    start=local(hour, minute),
                    end=local(hour, minute) + datetime.timedelta(minutes=30),
                    status=status,
                    reason="Check-up",
                )
            )
    Appointment.objects.bulk_create(visits)
    Patient.objects.create(mrn="P0009001", first_name="Ada", last_name="Byron", sex="female")
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    return {doctor.last_name: doctor for doctor in doctors}


def page_scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def test_forty_doctors_fit_the_day_grid_at_1280_pixels(page, hospital, console_errors, axe):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    expect(page.get_by_test_id("calendar")).to_be_visible()
    page.wait_for_load_state("load")

    grid = page.evaluate(
        """() => {
            const box = document.querySelector("[data-calendar-scroll]");
            const edge = box.getBoundingClientRect();
            const heads = [...box.querySelectorAll("thead th.calendar-doctor")];
            return {
                box: {left: edge.left, right: edge.right, scroll: box.scrollWidth,
                      client: box.clientWidth},
                heads: heads.map((th) => {
                    const r = th.getBoundingClientRect();
                    const name = th.querySelector(".cal-short");
                    return {left: r.left, right: r.right, width: r.width, name: name.textContent,
                            whole: name.scrollHeight <= name.clientHeight + 1};
                }),
            };
        }"""
    )

    assert not page_scrolls_sideways(page)
    assert grid["box"]["scroll"] <= grid["box"]["client"]  # the grid itself: no sideways scroll
    heads = grid["heads"]
    assert len(heads) == 40
    assert [head["name"] for head in heads] == sorted(
        (f"{d.first_name[0]}. {d.last_name}" for d in hospital.values()),
        key=lambda name: name.split(". ", 1)[1],
    )
    for head in heads:
        assert grid["box"]["left"] <= head["left"] and head["right"] <= grid["box"]["right"]
        assert head["width"] >= 24  # room for a name written upwards
        assert head["whole"], f"{head['name']} is cut short"
    # Each column names its doctor in full for screen readers and in its tooltip.
    zimmermann = hospital["Zimmermann"]
    header = page.get_by_role("columnheader", name=re.compile(f"^{zimmermann} Orthopedics"))
    expect(header).to_be_in_viewport()
    expect(header).to_have_attribute("title", f"{zimmermann} · Orthopedics · {zimmermann.code}")
    shoot(page, "day-grid.png")
    axe("day grid of 40 doctors")

    # Scrolled to the evening, the doctors' row stays on top of the grid.
    sticky = page.evaluate(
        """() => {
            const box = document.querySelector("[data-calendar-scroll]");
            box.scrollTop = box.scrollHeight;
            const edge = box.getBoundingClientRect();
            const head = box.querySelector("thead th.calendar-doctor").getBoundingClientRect();
            const times = [...box.querySelectorAll("tbody .calendar-time")];
            const last = times[times.length - 1].getBoundingClientRect();
            return {scrolled: box.scrollTop, top: edge.top, headTop: head.top,
                    headBottom: head.bottom, lastTop: last.top, bottom: edge.bottom,
                    lastTime: times[times.length - 1].textContent.trim()};
        }"""
    )
    assert sticky["scrolled"] > 0, "the day should be taller than the grid's box"
    assert abs(sticky["headTop"] - sticky["top"]) <= 2, sticky
    assert sticky["headBottom"] <= sticky["lastTop"] + 1 and sticky["lastTop"] < sticky["bottom"]
    assert sticky["lastTime"] == "19:30"

    # The specialty filter: Cardiology's eight doctors, kept in the address.
    page.get_by_label("Specialty").select_option(label="Cardiology")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"specialty=\d+"))
    cardiologists = sorted(
        f"{d.first_name[0]}. {d.last_name}"
        for d in hospital.values()
        if d.specialty.name == "Cardiology"
    )
    names = page.locator("[data-calendar-scroll] thead th.calendar-doctor .cal-short")
    expect(names).to_have_count(8)
    assert sorted(names.all_inner_texts()) == cardiologists
    axe("day grid of one specialty")
    assert console_errors == []


def test_it_books_from_a_free_cell_in_three_clicks_and_shows_the_visit(
    page, hospital, console_errors, axe
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    doctor = hospital["Zimmermann"]  # the last column; 19:30 is below the first screen
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        locator.click()
        clicks += 1

    click(page.get_by_role("link", name=f"Free — book {doctor} at 19:30"))

    expect(page.get_by_test_id("booking-slot")).to_have_text(
        f"{doctor} · Monday 4 March · 19:30–20:00"
    )
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    search = page.get_by_role("searchbox", name="Patient", exact=True)
    expect(search).to_be_focused()
    page.keyboard.type("Byron")
    suggestion = page.get_by_role("button", name=re.compile(r"^Byron, Ada P0009001"))
    expect(suggestion).to_be_visible()
    axe("booking page with patient suggestions")
    click(suggestion)
    expect(page.get_by_test_id("booking-patient")).to_contain_text("Ada Byron")
    confirm = page.get_by_role("button", name="Book appointment")
    expect(confirm).to_be_focused()
    expect(confirm).to_be_in_viewport()
    click(confirm)

    assert clicks == 3
    expect(page).to_have_url(re.compile(r"/appointments/\?day=2030-03-04&highlight=\d+$"))
    appointment = Appointment.objects.get(patient__mrn="P0009001")
    assert (appointment.doctor, appointment.start) == (doctor, local(19, 30))
    message = page.get_by_role("alert").filter(has_text="Booked Ada Byron")
    expect(message).to_have_text(f"Booked Ada Byron with {doctor} on Monday 04 March at 19:30.")
    cell = page.locator(f"#appointment-{appointment.pk}")
    expect(cell).to_have_class(re.compile(r"\bcal-highlight\b"))
    page.wait_for_load_state("load")
    expect(cell).to_be_in_viewport()
    expect(message).to_be_in_viewport()
    view = page.evaluate(
        """(id) => {
            const cell = document.getElementById(id);
            const box = cell.closest("[data-calendar-scroll]");
            const c = cell.getBoundingClientRect();
            const head = box.querySelector("thead").getBoundingClientRect();
            const times = box.querySelector("tbody .calendar-time").getBoundingClientRect();
            const b = box.getBoundingClientRect();
            const x = (c.left + c.right) / 2, y = (c.top + c.bottom) / 2;
            const middle = document.elementFromPoint(x, y);
            return {top: c.top, bottom: c.bottom, left: c.left, right: c.right,
                    headBottom: head.bottom, timesRight: times.right, boxBottom: b.bottom,
                    boxRight: b.right, height: window.innerHeight,
                    onTop: middle !== null && middle.closest("td") === cell,
                    outline: getComputedStyle(cell).outlineStyle};
        }""",
        f"appointment-{appointment.pk}",
    )
    # Below the sticky doctors' row, right of the sticky times, inside the grid and the screen.
    assert view["top"] >= view["headBottom"] - 1
    assert view["left"] >= view["timesRight"] - 1
    assert view["bottom"] <= min(view["boxBottom"], view["height"]) + 1
    assert view["right"] <= view["boxRight"] + 1
    assert view["onTop"], "the highlighted visit is covered by something"
    assert view["outline"] == "solid"
    expect(cell.get_by_role("link")).to_be_focused()
    axe("day calendar with the new visit highlighted")
    assert console_errors == []


def test_a_phone_gets_the_day_as_a_list_without_sideways_scrolling(
    page, hospital, console_errors, axe
):
    page.set_viewport_size(PHONE)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)

    expect(page.get_by_test_id("calendar-list")).to_be_visible()
    expect(page.get_by_test_id("calendar")).to_be_hidden()
    assert not page_scrolls_sideways(page)
    axe("day calendar on a phone")

    # Booking from the list: a free time of a doctor, then the patient, then confirm.
    doctor = hospital["Okafor"]
    page.get_by_role("link", name=f"16:30 — book {doctor}").click()
    assert not page_scrolls_sideways(page)
    expect(page.get_by_role("searchbox", name="Patient", exact=True)).to_be_focused()
    page.keyboard.type("Byron")
    page.get_by_role("button", name=re.compile(r"^Byron, Ada")).click()
    expect(page.get_by_test_id("booking-patient")).to_contain_text("Ada Byron")
    assert not page_scrolls_sideways(page)
    page.get_by_role("button", name="Book appointment").click()

    expect(page).to_have_url(re.compile(r"highlight=\d+$"))
    appointment = Appointment.objects.get(patient__mrn="P0009001")
    line = page.locator(f"#list-appointment-{appointment.pk}")
    expect(line).to_contain_text("Just booked")
    page.wait_for_load_state("load")
    expect(line).to_be_in_viewport()
    assert not page_scrolls_sideways(page)

    page.goto(f"/appointments/day-list/?day={JOURNEY_DAY}")
    expect(page.get_by_test_id("day-list-doctor").first).to_be_visible()
    assert not page_scrolls_sideways(page)
    axe("day list on a phone")
    assert console_errors == []


def test_the_list_mode_shows_every_doctor_on_a_wide_screen_too(page, hospital, console_errors, axe):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    page.get_by_role("link", name="List", exact=True).click()
    expect(page).to_have_url(re.compile(r"view=list"))
    expect(page.get_by_role("link", name="List", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    listed = page.get_by_test_id("calendar-list")
    expect(listed).to_be_visible()
    expect(page.get_by_test_id("calendar")).to_have_count(0)
    okafor = hospital["Okafor"]
    expect(listed).to_contain_text(str(okafor))
    expect(page.get_by_role("link", name=f"16:30 — book {okafor}")).to_be_visible()
    assert not page_scrolls_sideways(page)
    axe("day calendar in list mode on a wide screen")
    page.get_by_role("link", name="Grid", exact=True).click()
    expect(page.get_by_test_id("calendar")).to_be_visible()
    assert console_errors == []


def test_the_day_list_prints_one_doctor_a_page_on_a4(page, hospital, console_errors, axe):
    page.set_viewport_size(A4_CONTENT)
    log_in(page, "frontdesk")
    cardiology = hospital["Abbott"].specialty
    page.goto(f"/appointments/day-list/?day={JOURNEY_DAY}&specialty={cardiology.pk}")
    doctors = page.get_by_test_id("day-list-doctor")
    expect(doctors).to_have_count(8)
    axe("day list")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("link", name="Download CSV")).to_be_hidden()
    widths = page.evaluate(
        """() => [...document.querySelectorAll(".day-list-table")].map(
            (table) => [table.scrollWidth, table.parentElement.clientWidth])"""
    )
    assert widths and all(table <= room for table, room in widths)
    shoot(page, "day-list-print.png")

    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    pages = [p.extract_text() for p in pdf.pages]
    a4 = (595, 842)  # points
    assert all(round(float(p.mediabox.width)) == a4[0] for p in pdf.pages)
    assert len(pages) == 8  # a doctor a page, each list on one page
    cardiologists = sorted(d.last_name for d in hospital.values() if d.specialty == cardiology)
    for text, name in zip(pages, cardiologists, strict=True):
        assert name in text and "Seen" in text
    assert console_errors == []


def test_one_doctors_day_list_downloads_as_the_csv_of_what_it_shows(
    page, hospital, console_errors, tmp_path, axe
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    okafor = hospital["Okafor"]
    page.goto(f"/appointments/day-list/?day={JOURNEY_DAY}")
    section = page.get_by_test_id("day-list-doctor").filter(has_text=okafor.code)
    section.get_by_role("link", name="only this doctor").click()
    expect(page.get_by_test_id("day-list-doctor")).to_have_count(1)
    axe("one doctor's day list")
    shown = page.get_by_test_id("day-list-doctor").locator("tbody tr")
    times = [cell.split("–")[0] for cell in shown.locator("td:first-child").all_inner_texts()]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"day-list_{JOURNEY_DAY}_{okafor.code}.csv"
    saved = tmp_path / "day-list.csv"
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))

    visits = Appointment.objects.filter(doctor=okafor).select_related("patient").order_by("start")
    assert len(visits) >= 3 and [row["start"] for row in rows] == times
    assert [(row["date"], row["doctor_code"], row["mrn"], row["status"]) for row in rows] == [
        (str(JOURNEY_DAY), okafor.code, visit.patient.mrn, visit.get_status_display())
        for visit in visits
    ]
    assert [row["start"] for row in rows] == [
        f"{timezone.localtime(visit.start):%H:%M}" for visit in visits
    ]
    assert console_errors == []
