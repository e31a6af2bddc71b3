"""The upload form: one .xlsx workbook, or the sheets as CSV files chosen together."""

from __future__ import annotations

from pathlib import PurePath

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from imports.archive import WorkbookTooLarge, check_workbook_size
from imports.workbook import SHEETS, sheet_for


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files at once (Django's documented recipe)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class WorkbookUploadForm(forms.Form):
    files = MultipleFileField(
        label="Workbook",
        help_text=(
            "Choose hospital.xlsx, or all six CSV files at once, named after the sheets: "
            + ", ".join(f"{spec.name}.csv" for spec in SHEETS)
            + ". Nothing is imported until you have seen the check and confirmed."
        ),
        widget=MultipleFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": "Choose the workbook file to upload."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError("Choose the workbook file to upload.")
        limit = settings.HMS_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
        if sum(f.size for f in files) > limit:
            raise forms.ValidationError(
                f"The upload is larger than {settings.HMS_IMPORT_MAX_UPLOAD_MB} MB. Import a "
                "workbook this large on the server with `python manage.py import_workbook`."
            )
        suffixes = {PurePath(f.name).suffix.lower() for f in files}
        if suffixes == {".xlsx"}:
            if len(files) > 1:
                raise forms.ValidationError("Choose one .xlsx workbook, not several.")
            try:
                check_workbook_size(files[0])  # before it is kept or read
            except WorkbookTooLarge as error:
                raise forms.ValidationError(str(error)) from error
            return files
        if suffixes != {".csv"}:
            raise forms.ValidationError(
                "Choose either one .xlsx workbook or the sheets as .csv files "
                f"(got: {', '.join(sorted(f.name for f in files))})."
            )
        seen: dict[str, str] = {}
        problems = []
        for f in files:
            sheet = sheet_for(f.name)
            if sheet is None:
                problems.append(
                    f"{f.name} is not named after a sheet "
                    f"({', '.join(spec.name for spec in SHEETS)})."
                )
            elif sheet in seen:
                problems.append(f"{seen[sheet]} and {f.name} are both the {sheet} sheet.")
            else:
                seen[sheet] = f.name
        if problems:
            raise forms.ValidationError(problems)
        return files
