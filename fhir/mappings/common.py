"""Pieces several resources share: meta, names, telecom, addresses. Each leaves out what the
record does not have (FHIR allows no empty strings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from fhir.resources.R4B.resource import Resource

from fhir.responses import keep_source

R = TypeVar("R", bound=Resource)


def present(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without its empty elements (an empty string or list, None); False stays."""
    return {key: value for key, value in data.items() if value is False or value}


def validated(model: type[R], data: dict[str, Any]) -> R:
    """`data` (without its empty elements) as the R4B `model`, validated; the answer writes
    `data` itself rather than walking the model again (fhir/responses.py)."""
    data = present(data)
    return keep_source(model.model_validate(data), data)


def meta(record: models.Model) -> dict[str, Any]:
    return {"lastUpdated": record.updated_at}


def human_name(first: str, last: str, *, prefix: str = "") -> list[dict[str, Any]]:
    first, last = first.strip(), last.strip()
    name: dict[str, Any] = {"use": "official"}
    if last:
        name["family"] = last
    if first:
        name["given"] = [first]
    if prefix:
        name["prefix"] = [prefix]
    text = " ".join(part for part in (prefix, first, last) if part)
    if not text:
        return []
    name["text"] = text
    return [name]


def telecom(*, phone: str, email: str, use: str) -> list[dict[str, Any]]:
    points = []
    if phone.strip():
        points.append({"system": "phone", "value": phone.strip(), "use": use})
    if email.strip():
        points.append({"system": "email", "value": email.strip(), "use": use})
    return points


def address(
    *, lines: Iterable[str], city: str, region: str, postal_code: str, country: str
) -> list[dict[str, Any]]:
    parts = {
        "line": [line.strip() for line in lines if line.strip()],
        "city": city.strip(),
        "state": region.strip(),
        "postalCode": postal_code.strip(),
        "country": country.strip(),
    }
    found = {key: value for key, value in parts.items() if value}
    return [{"use": "home", **found}] if found else []
