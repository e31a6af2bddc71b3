"""Template helpers of the clinical pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def change_text(change: Any) -> str:
    """One field of an audit row's `changes`: "before → after", or the value as recorded."""
    if isinstance(change, dict) and ("before" in change or "after" in change):
        before, after = change.get("before"), change.get("after")
        return (
            f"{'∅' if before in (None, '') else before} → {'∅' if after in (None, '') else after}"
        )
    return str(change)


@register.filter
def versions(entries) -> str:
    """The history entries' ids and versions, "12.1,15.3": with a table's own arguments, the key
    of its cached fragment. The database bumps an entry's version whenever its content changes,
    whoever writes (patients migration 0002's corrections trigger), so a changed entry is never
    shown from an older fragment."""
    return ",".join(f"{entry.pk}.{entry.version}" for entry in entries)
