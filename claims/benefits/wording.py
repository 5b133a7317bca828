"""How the settlement's words are looked up, and left out where only the amounts count.

`explain.py` (each line's label) and `refusals.py` (why a claim is not paid) write every word
through `_` and mark each of their functions `@worded`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec

from django.utils.translation import gettext

# While a bulk run (a simulation re-running a period's claims) is inside `one_language()`, each
# message is looked up in the catalogue once: the lookup costs more than the rest of a line.
_looked_up: ContextVar[dict[str, str] | None] = ContextVar("wording_looked_up", default=None)


@contextmanager
def one_language() -> Iterator[None]:
    """Within it the active language does not change, so each message's translation is kept."""
    token = _looked_up.set({})
    try:
        yield
    finally:
        _looked_up.reset(token)


# A bulk run that needs the amounts only (a simulation re-running a period's claims, which shows
# the words of twenty of them) asks for none: inside `without_words()` every function marked
# `@worded` answers WORDLESS at once and formats nothing (about half the cost of a calculation).
# Never empty, so that a refusal stays a refusal: the engine tests reasons with `is None` and
# between two with `or`.
WORDLESS = "…"
_wordless: ContextVar[bool] = ContextVar("wording_wordless", default=False)

P = ParamSpec("P")


@contextmanager
def without_words() -> Iterator[None]:
    """Within it the calculation computes every amount as always and writes no word."""
    token = _wordless.set(True)
    try:
        yield
    finally:
        _wordless.reset(token)


def worded(function: Callable[P, str]) -> Callable[P, str]:
    """A function that writes words of a settlement: WORDLESS inside `without_words()`."""

    @wraps(function)
    def words(*args: P.args, **kwargs: P.kwargs) -> str:
        if _wordless.get():
            return WORDLESS
        return function(*args, **kwargs)

    return words


def _(message: str) -> str:
    """`gettext`, looked up once per message inside `one_language()`."""
    found = _looked_up.get()
    if found is None:
        return gettext(message)
    text = found.get(message)
    if text is None:
        text = found[message] = gettext(message)
    return text
