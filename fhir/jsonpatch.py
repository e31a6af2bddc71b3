"""JSON Patch (RFC 6902) on a resource's JSON, for FHIR's `PATCH` with
`application/json-patch+json`: the six operations over JSON Pointers (RFC 6901). A patch that
cannot be applied (a bad pointer, a failed `test`) is a 400 saying which operation and why;
the patched resource is then validated and handled as an update."""

from __future__ import annotations

import copy
from typing import Any

from core.params import is_digits
from fhir.errors import BadRequest

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
_MISSING = object()


def apply_patch(document: dict[str, Any], patch: Any) -> dict[str, Any]:
    """`document` with the operations of `patch` applied in order (all or none: the input is
    not changed)."""
    if not isinstance(patch, list) or not patch:
        raise BadRequest("A JSON Patch is a non-empty JSON array of operations (RFC 6902).")
    result = copy.deepcopy(document)
    for number, operation in enumerate(patch, start=1):
        try:
            result = _apply(result, operation)
        except _PatchError as error:
            raise BadRequest(f"JSON Patch operation {number}: {error}") from None
    if not isinstance(result, dict):
        raise BadRequest("The JSON Patch replaced the whole resource with something else.")
    return result


class _PatchError(Exception):
    pass


def _apply(document: Any, operation: Any) -> Any:
    if not isinstance(operation, dict) or operation.get("op") not in OPERATIONS:
        raise _PatchError(f"give an object whose 'op' is one of {', '.join(OPERATIONS)}.")
    op, path = operation["op"], _pointer(operation, "path")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise _PatchError(f"'{op}' needs a 'value'.")
    if op == "test":
        if _get(document, path) != operation["value"]:
            raise _PatchError(f"the test of '{operation['path']}' failed: it holds another value.")
        return document
    if op == "remove":
        return _remove(document, path)[0]
    if op == "replace":
        _get(document, path)
        return _add(_remove(document, path)[0], path, operation["value"])
    if op == "add":
        return _add(document, path, operation["value"])
    source = _pointer(operation, "from")
    if op == "move":
        if path[: len(source)] == source and path != source:
            raise _PatchError("'move' cannot move a value into itself.")
        document, value = _remove(document, source)
        return _add(document, path, value)
    return _add(document, path, copy.deepcopy(_get(document, source)))  # copy


def _pointer(operation: dict[str, Any], name: str) -> list[str]:
    text = operation.get(name)
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise _PatchError(f"'{name}' must be a JSON Pointer such as '/status'.")
    return [part.replace("~1", "/").replace("~0", "~") for part in text.split("/")[1:]]


def _index(container: list[Any], part: str, *, end_allowed: bool = False) -> int:
    if end_allowed and part == "-":
        return len(container)
    if not is_digits(part, at_most=9) or (part != "0" and part.startswith("0")):
        raise _PatchError(f"'{part}' is not an index of an array.")
    index = int(part)
    if index > len(container) or (index == len(container) and not end_allowed):
        raise _PatchError(f"the array has no element {index}.")
    return index


def _get(document: Any, path: list[str]) -> Any:
    value = document
    for part in path:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list):
            value = value[_index(value, part)]
        else:
            value = _MISSING
        if value is _MISSING:
            raise _PatchError(f"'/{'/'.join(path)}' does not exist in the resource.")
    return value


def _add(document: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(document, path[:-1])
    if isinstance(parent, dict):
        parent[path[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, path[-1], end_allowed=True), value)
    else:
        raise _PatchError(f"'/{'/'.join(path[:-1])}' holds neither an object nor an array.")
    return document


def _remove(document: Any, path: list[str]) -> tuple[Any, Any]:
    if not path:
        raise _PatchError("the whole resource cannot be removed.")
    value = _get(document, path)
    parent = _get(document, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        del parent[_index(parent, path[-1])]
    return document, value
