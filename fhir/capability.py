"""The CapabilityStatement of `/metadata`, made from the registry: the types, their
interactions and search parameters are exactly those the server routes and searches."""

from __future__ import annotations

from importlib import metadata

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from fhir.registry import TYPES
from fhir.search import DEFAULT_COUNT, MAX_COUNT
from fhir.systems import FHIR_VERSION

# Patient/<id>/$everything (fhir.operations): the patient and the record the caller may read.
EVERYTHING = {
    "name": "everything",
    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
    "documentation": (
        "The patient and every resource of theirs the caller's role may read (the types "
        "of a patient's record below), in one searchset Bundle; _type narrows it."
    ),
}
# When this process started serving this statement: it changes only with the code.
STARTED = timezone.now()


def _version() -> str:
    try:
        return metadata.version("hms")
    except metadata.PackageNotFoundError:
        return "unknown"


def capability_statement(*, base_url: str) -> CapabilityStatement:
    resources = [
        {
            "type": kind.name,
            "documentation": kind.documentation,
            "interaction": [{"code": code} for code in kind.served],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {"name": param.name, "type": param.type, "documentation": param.documentation}
                for param in kind.params
            ],
        }
        for kind in TYPES.values()
    ]
    for resource in resources:
        if resource["type"] == "Patient":
            resource["operation"] = [EVERYTHING]
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": STARTED.isoformat(),
            "publisher": "HMS",
            "kind": "instance",
            "software": {"name": "HMS hospital management system", "version": _version()},
            "implementation": {"description": "HMS FHIR R4 API", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        f"Searches answer searchset Bundles of {DEFAULT_COUNT} entries "
                        f"(_count: at most {MAX_COUNT}) with a 'next' link that pages by key. "
                        "An unknown search parameter is refused (400) unless the request "
                        "says 'Prefer: handling=lenient'."
                    ),
                    "security": {
                        "cors": False,
                        "description": (
                            "A personal API token of the hospital's staff as "
                            "'Authorization: Bearer <token>' (made on the account's API "
                            "tokens page), or a signed-in browser session. Each role reads "
                            "what its pages show."
                        ),
                    },
                    "resource": resources,
                }
            ],
        }
    )
