"""Field-wise saving with validation and an audit row: the shared step of simple edits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import audit


def save_fields(*, obj: Any, data: Mapping[str, Any], fields: tuple[str, ...], by: Any) -> Any:
    """Apply `data` to `obj`, validate, save and audit what changed (nothing: no write)."""
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"Unknown {obj._meta.verbose_name} fields: {', '.join(sorted(unknown))}")
    adding = obj._state.adding
    before = {} if adding else audit.snapshot(obj, fields)
    for name, value in data.items():
        if isinstance(value, str) and name == "name":
            value = value.strip()
        setattr(obj, name, value)
    obj.full_clean()
    changes = audit.diff(before, audit.snapshot(obj, fields))
    if adding or changes:
        obj.save()
        action = audit.Action.CREATE if adding else audit.Action.UPDATE
        audit.audit_record(actor=by, action=action, obj=obj, changes=changes)
    return obj
