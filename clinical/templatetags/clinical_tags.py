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
