"""What the reporting pages share: the node and month asked for, and a document as a download."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualaid import dates
from mutualaid.downloads import attachment
from mutualaid.models import Organisation
from mutualaid.requests import request_office
from reporting.exports import Document
from reporting.selectors import node_get


def node_asked(request: HttpRequest) -> Organisation:
    """The node asked for (`?office=`), if it is in the user's tree; the user's own otherwise."""
    try:
        return node_get(office=request.GET.get("office", ""), default=request_office(request))
    except ValidationError:
        raise Http404(_("No such office in your tree.")) from None


class FutureMonthError(Exception):
    """A month asked for that has not begun: there is no figure of it to show."""

    def __init__(self, month: date) -> None:
        super().__init__(f"{month:%Y-%m}")
        self.month = month


def month_asked(request: HttpRequest, *, default: date | None = None) -> date:
    """The month asked for (`?month=YYYY-MM`), otherwise `default`, otherwise the current month
    (to date, Asia/Shanghai). A month that has not begun raises FutureMonthError (a 400 through
    RefusesFutureMonths)."""
    current = dates.month_start(dates.business_today())
    month = dates.parse_month(request.GET.get("month", "")) or default or current
    if month > current:
        raise FutureMonthError(month)
    return month


def as_of(month: date, *, read_at: datetime | None = None) -> datetime | None:
    """For the month that is not yet over, the moment its figures were read (now, or `read_at`
    for figures kept a moment in the cache): the running figures include every list approved and
    claim paid until then. None for a closed month."""
    if dates.month_start(dates.business_today()) != month:
        return None
    return read_at or timezone.now()


class RefusesFutureMonths:
    """A page of figures that answers a month not yet begun with a 400 in Chinese naming the
    month and what to choose, as a malformed month is answered (mutualaid/badinput.py)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return] # a mixin of a View
        except FutureMonthError as refused:
            current = dates.month_start(dates.business_today())
            message = _(
                "The address asks for month=%(month)s, which has not begun yet: figures run to today at the "
                "latest. Choose %(current)s or an earlier month."
            ) % {"month": f"{refused.month:%Y-%m}", "current": f"{current:%Y-%m}"}
            return HttpResponseBadRequest(render_to_string("400_query.html", {"message": message}, request=request))


def download(document: Document) -> HttpResponse:
    return attachment(document.data, content_type=document.content_type, name=document.filename)
