"""The URL of a primary key without a reverse() per row.

A page that links each of its rows to a `<int:pk>` URL asks for the same pattern many times;
`pk_url(name)` reverses it once (per URL configuration and script prefix) with a placeholder
and gives a function that puts the key in its place: the same text as `reverse(name,
args=[pk])`, at the cost of a string join. Templates: `{% load pk_urls %}` then
`{{ entry.pk|pk_url:"clinical:history_correct" }}`, or, in a loop over many rows,
`{% key_url "clinical:history_correct" as correct %}` once before it and
`{{ correct|of:entry.pk }}` in it (no lookup of the URL configuration per row).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# A key no table reaches, so that its digits appear in the reversed URL only where it went.
_PLACEHOLDER = 987654321987654321


@functools.lru_cache(maxsize=256)
def _parts(name: str, urlconf: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)
    before, found, after = url.partition(str(_PLACEHOLDER))
    if not found or str(_PLACEHOLDER) in after:
        raise ValueError(f"The URL {name!r} does not take one key.")
    return before, after


@dataclass(frozen=True)
class KeyUrl:
    """The URL of a primary key, less the key: `KeyUrl(...)(12)` is the URL of 12."""

    before: str
    after: str
    # A template hands it to a filter (`{{ link|of:row.pk }}`), never calls it itself.
    do_not_call_in_templates = True

    def __call__(self, pk: int) -> str:
        return f"{self.before}{int(pk)}{self.after}"


def pk_url(name: str) -> KeyUrl:
    """A function giving the URL `name` of a primary key, as reverse(name, args=[pk])."""
    return KeyUrl(*url_parts(name))


def url_parts(name: str) -> tuple[str, str]:
    """The text before and after the key in the URL `name` of a key."""
    return _parts(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _named(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def named_url(name: str) -> str:
    """reverse(name) of a URL without arguments, reversed once (per URL configuration and
    script prefix): for what every page links to, such as the navigation bar."""
    return _named(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
