"""What the reporting pages share: the node and month asked for, and a document as a download."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
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


def month_asked(request: HttpRequest) -> date:
    """The month asked for (`?month=YYYY-MM`), the last month that is over otherwise."""
    return dates.parse_month(request.GET.get("month", "")) or dates.last_month()


def download(document: Document) -> HttpResponse:
    return attachment(document.data, content_type=document.content_type, name=document.filename)
