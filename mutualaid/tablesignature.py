"""django-tables2 asks `inspect.signature` of a column's render or value method for every cell it
fills (`django_tables2.utils.call_with_appropriate`, to pass only the arguments the method takes;
upstream jieter/django-tables2#821, open): a download of 10,000 policies spent 6.5 of its 27
profiled seconds there, 100,000 signatures for 80,000 cells. The answer depends only on the
function and on whether it is bound (which drops its first parameter), so it is kept per function,
as Django keeps its own (django.utils.inspect, ticket #31732). `install()` puts it in place of the
library's function once, from `MutualaidConfig.ready()`."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django_tables2 import utils

Signature = tuple[tuple[str, ...], str | None]  # (argument names, the name of a ** catch-all)

_uncached: Callable[[Callable[..., Any]], Signature] = utils.signature


@lru_cache(maxsize=4096)  # bounded: a callable made per request cannot make it grow for ever
def _of(function: Callable[..., Any], bound: bool) -> Signature:
    arguments, catch_all = _uncached(function)
    return (tuple(arguments[1:]) if bound else tuple(arguments)), catch_all


def signature(fn: Callable[..., Any]) -> Signature:
    """`django_tables2.utils.signature(fn)`, read once per function."""
    function = getattr(fn, "__func__", None)  # a bound method: its function, less self or cls
    try:
        return _of(function, True) if function is not None else _of(fn, False)
    except TypeError:  # a callable that cannot be a key (unhashable): asked every time
        return _uncached(fn)


def install() -> None:
    utils.signature = signature
