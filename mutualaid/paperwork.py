"""What the product's printed forms share: the signature blocks (经办人, 审核人, 填表人 …) at
their foot. Each app says which roles its form has and the names it knows; the core draws them
(templates mutualaid/pdf/signatures.html and signatures.css) the same way on every form."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from mutualaid.models import User

# The three blocks at the foot of a list or report an office files (填表人, 审核人, 负责人).
FILLED_BY = gettext_lazy("Filled in by:")
REVIEWED_BY = gettext_lazy("Reviewed by:")
HEAD = gettext_lazy("Person in charge:")

Signature = tuple[str, str]


def person(user: User | None) -> str:
    """The name printed under a signature line: the person's full name, blank when unknown."""
    return str(user) if user is not None else ""


def signatures(blocks: Iterable[tuple[str | Promise, User | str | None]]) -> list[Signature]:
    """(role, who) pairs as the signature template reads them; `who` a user, a name or None."""
    return [(str(role), who if isinstance(who, str) else person(who)) for role, who in blocks]


def report_signatures(
    *, filled_by: User | str | None = None, reviewed_by: User | str | None = None, head: User | str | None = None
) -> list[Signature]:
    """填表人 / 审核人 / 负责人, with the names the product knows (blank lines for the others)."""
    return signatures([(FILLED_BY, filled_by), (REVIEWED_BY, reviewed_by), (HEAD, head)])
