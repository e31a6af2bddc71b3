"""`{{ pk|pk_url:"app:name" }}`: the URL `name` of a primary key, as `{% url "app:name" pk %}`
gives it, without a reverse() per row (core.urls). In a loop over many rows, take the URL once
before it, `{% key_url "app:name" as link %}`, and write `{{ link|of:row.pk }}` in it."""

from __future__ import annotations

from django import template

from core.urls import KeyUrl, url_parts

register = template.Library()


# Escaped by the template, as `{% url %}` escapes its own.
@register.filter(name="pk_url")
def pk_url(pk: int, name: str) -> str:
    before, after = url_parts(name)
    return f"{before}{int(pk)}{after}"


@register.simple_tag
def key_url(name: str) -> KeyUrl:
    return KeyUrl(*url_parts(name))


@register.filter(name="of")
def of(url: KeyUrl, pk: int) -> str:
    return url(pk)
