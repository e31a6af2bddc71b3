"""Who acts: every service names the acting user `by`; a system job (an import, the demo
seed, a scheduled job) passes `by=None`. This is the one place that turns `by` into what a
foreign key to the user stores."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def acting_user(by: Any) -> Any:
    """The signed-in user `by`, or None for a system job (None, AnonymousUser)."""
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def by_alias(old_name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let a service that now takes `by` still accept its former keyword `old_name`, for
    scripts outside the repository written against the old contract. The old name warns
    (DeprecationWarning); giving both is a TypeError."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if old_name in kwargs:
                if "by" in kwargs:
                    raise TypeError(
                        f"{service.__name__}() got both 'by' and its old name '{old_name}'"
                    )
                warnings.warn(
                    f"{service.__name__}({old_name}=...) is deprecated; pass by=... instead",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs["by"] = kwargs.pop(old_name)
            return service(*args, **kwargs)

        return wrapper

    return decorate
