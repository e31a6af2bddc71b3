from pathlib import Path

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fhir"
    verbose_name = "FHIR API"
    # The package spans two folders (see fhir/__init__.py); the app's own is this one.
    path = str(Path(__file__).resolve().parent)
