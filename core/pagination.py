"""Reading a page number from the query string, the same way on every list; and the row
comparison that pages a list by key (issue 14: no OFFSET)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

# Past any real list, and low enough that the page's OFFSET fits PostgreSQL's bigint.
MAX_PAGE = 1_000_000


def page_number(raw: str | None, *, maximum: int = MAX_PAGE) -> int:
    """The page asked for. Anything but ASCII digits ("abc", "-2", "²") is page 1; a number
    past `maximum` is `maximum` (an empty page, never an OFFSET the database refuses)."""
    if raw and raw.isascii() and raw.isdigit() and int(raw) > 0:
        return min(int(raw), maximum)
    return 1


class RowCompare(models.Func):
    """`(a, b) < (x, y)`: SQL's row comparison, as a filter (`qs.filter(RowCompare(...))`).

    PostgreSQL answers it from a b-tree index on (a, b), ascending or descending, as one
    range (the plan's "Index Cond"), so a page after a key starts at the key. The same
    condition spelt `a <= x AND (a < x OR b < y)` only bounds `a`: the index is read from
    the first row of `x` and every row of the key's `a` before it is filtered out. A NULL in
    either row makes the comparison NULL (false): a nullable key needs its NULL section
    asked for apart."""

    output_field = models.BooleanField()
    OPERATORS = ("<", "<=", ">", ">=")

    def __init__(self, left: Sequence[Any], operator: str, right: Sequence[Any]) -> None:
        if operator not in self.OPERATORS or len(left) != len(right) or not left:
            raise ValueError(f"Not a row comparison: {len(left)} {operator} {len(right)}")
        self.operator, self.width = operator, len(left)
        super().__init__(
            *(models.F(c) if isinstance(c, str) else c for c in left),
            *(v if hasattr(v, "resolve_expression") else models.Value(v) for v in right),
        )

    def as_sql(self, compiler, connection, **extra_context):  # noqa: ANN001, ARG002
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(sqls[: self.width]), ", ".join(sqls[self.width :])
        return f"(({left}) {self.operator} ({right}))", params
