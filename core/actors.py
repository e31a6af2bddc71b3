"""Who acts: every service names the acting user `by`; a system job (an import, the demo
seed, a scheduled job) passes `by=None`. This is the one place that turns `by` into what a
foreign key to the user stores."""

from __future__ import annotations

from typing import Any


def acting_user(by: Any) -> Any:
    """The signed-in user `by`, or None for a system job (None, AnonymousUser)."""
    return by if by is not None and getattr(by, "is_authenticated", False) else None
