"""`{{ pk|pk_url:"app:name" }}`: the URL `name` of a primary key, as `{% url "app:name" pk %}`
gives it, without a reverse() per row (core.urls.pk_url)."""

from __future__ import annotations

from django import template

from core.urls import url_parts

register = template.Library()


@register.filter(name="pk_url")
def pk_url(pk: int, name: str) -> str:
    # Escaped by the template as `{% url %}` escapes its own.
    before, after = url_parts(name)
    return f"{before}{int(pk)}{after}"
