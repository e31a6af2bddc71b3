"""Search results as a `searchset` Bundle: one entry per resource, warnings as an
OperationOutcome entry, `self` and `next` links, and `total` when it costs nothing."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from fhir.responses import outcome


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
        {
            "fullUrl": f"{base_url}/{resource.get_resource_type()}/{resource.id}",
            "resource": resource,
            "search": {"mode": "match"},
        }
        for resource in resources
    ]
    entries += [
        {
            "resource": outcome(note, code="informational", severity="warning"),
            "search": {"mode": "outcome"},
        }
        for note in notes
    ]
    links = [{"relation": "self", "url": self_link}]
    if next_link is not None:
        links.append({"relation": "next", "url": next_link})
    data = {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}
    if total is not None:
        data["total"] = total
    if not entries:
        del data["entry"]
    return Bundle.model_validate(data)
