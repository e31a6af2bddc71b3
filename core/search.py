"""Database functions used by search indexes and queries."""

from django.db import models


class Unaccent(models.Func):
    """`hms_unaccent(text)`: PostgreSQL's unaccent, wrapped as IMMUTABLE so it can be indexed.

    The function is created by `hms/migrations/0001_initial.py`.
    """

    function = "hms_unaccent"
    output_field = models.TextField()
