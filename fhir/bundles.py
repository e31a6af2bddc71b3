"""Search results as a `searchset` Bundle: one entry per resource, warnings as an
OperationOutcome entry, `self` and `next` links, and `total` when it costs nothing.

The Bundle is validated with fhir.resources' R4B model without its entries, which are added
as JSON: each resource in them was validated when it was made (fhir.mappings), so it is not
walked again (fhir/responses.py says why), and an entry is only its fullUrl, its search mode
and its resource (the tests read every Bundle back with the R4B model)."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from fhir.responses import fhir_json, keep_source, outcome


def searchset(
    *,
    base_url: str,
    resources: list[Resource],
    self_link: str,
    next_link: str | None,
    total: int | None,
    notes: list[str],
) -> Bundle:
    entries = [
        (
            {
                "fullUrl": f"{base_url}/{resource.get_resource_type()}/{resource.id}",
                "search": {"mode": "match"},
            },
            resource,
        )
        for resource in resources
    ]
    entries += [
        ({"search": {"mode": "outcome"}}, outcome(note, code="informational", severity="warning"))
        for note in notes
    ]
    links = [{"relation": "self", "url": self_link}]
    if next_link is not None:
        links.append({"relation": "next", "url": next_link})
    data = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if total is not None:
        data["total"] = total
    bundle = Bundle.model_validate(data)
    full = fhir_json(bundle)
    if entries:
        full["entry"] = [{**entry, "resource": fhir_json(resource)} for entry, resource in entries]
    return keep_source(bundle, full)
