"""The import page's documents: the workbook format (docs/workbook-format.md) and the sample
workbook (docs/sample-workbook/hospital.xlsx), for administrators only like the page."""

import re

import pytest
from django.urls import reverse

from imports.docs import FORMAT_DOCUMENT, SAMPLE_WORKBOOK, markdown_html
from imports.workbook import SHEETS
from tests.conftest import ROLE_FIXTURES

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")
FORMAT = reverse("imports:workbook_format")
SAMPLE = reverse("imports:sample_workbook")


def test_it_links_the_format_and_the_sample_from_the_upload_page(login, admin_user):
    html = login(admin_user).get(UPLOAD).content.decode()

    assert f'href="{FORMAT}"' in html
    assert re.search(rf'<a href="{re.escape(SAMPLE)}" download>', html)


def test_it_downloads_the_sample_workbook_as_an_attachment(login, admin_user):
    response = login(admin_user).get(SAMPLE)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hospital.xlsx"'
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert b"".join(response.streaming_content) == SAMPLE_WORKBOOK.read_bytes()


def test_it_shows_the_format_document_inside_the_site(login, admin_user):
    response = login(admin_user).get(FORMAT)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>The hospital workbook: what the import reads</h1>" in html
    assert '<nav class="navbar' in html  # the site's layout, not a bare file
    assert '<th scope="col">Column</th>' in html
    assert "<code>No Show</code>" in html
    assert f'href="{SAMPLE}"' in html


@pytest.mark.parametrize("url", [FORMAT, SAMPLE], ids=["format", "sample"])
@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_it_shows_the_documents_to_administrators_only(request, role, login, url):
    client = login(request.getfixturevalue(role))

    assert client.get(url).status_code == (200 if role == "admin_user" else 403)


@pytest.mark.parametrize("url", [FORMAT, SAMPLE], ids=["format", "sample"])
def test_it_sends_anonymous_visitors_to_log_in_first(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_documents_every_sheet_and_column_the_import_reads():
    text = FORMAT_DOCUMENT.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    tables = {section.split(":")[0].split("\n")[0].strip(): section for section in sections}

    for spec in SHEETS:
        assert spec.name in tables, f"no section for the {spec.name} sheet"
        for column in spec.columns:
            assert f"\n| {column} |" in tables[spec.name], f"{spec.name}.{column} undocumented"


def test_it_escapes_markup_in_the_document():
    html = markdown_html("# <script>x</script>\n\n- a `<b>` and **<i>**\n\n| a |\n|---|\n| <u> |")

    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "<h1>&lt;script&gt;x&lt;/script&gt;</h1>" in html
    assert "<code>&lt;b&gt;</code>" in html
    assert "<td>&lt;u&gt;</td>" in html
