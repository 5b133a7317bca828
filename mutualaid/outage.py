"""When the database cannot be reached, a request answers 503 with Retry-After, not a 500.

A PostgreSQL restart, a failover or a full connection pool shows up in Django as an
OperationalError or InterfaceError, raised wherever the request first touches the database: in
a view, or already in a middleware (the session, the user, the tenant scope). Django turns all of
these into a call of `handler500` (config/urls.py) with the exception still being handled,
so that is where it is told apart; except when the session could not be saved at the end of the
request: Django then answers 400 (`SessionInterrupted`, raised from the lost connection), and
`handler400` tells it apart the same way. The person gets a short page (or the API client a JSON body)
saying to try again in a few seconds, and nothing of the request is committed, because every
write runs in one transaction that the lost connection rolls back. Nothing else is needed to
recover: with CONN_HEALTH_CHECKS a connection that died with the server is replaced at the next
request.

The page is rendered without a request context, so rendering it touches neither the session nor
the database.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def database_unavailable(error: BaseException | None) -> bool:
    """The error, or one it was raised from, says the database cannot be reached or used now."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNAVAILABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        page = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: a 503 while the database is away, Django's 500 page for anything else."""
    error = sys.exc_info()[1]
    if database_unavailable(error):
        logger.warning("database unavailable, answered 503: %s", type(error).__name__)
        return unavailable_response(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler400: a 503 when the request failed because the database went away (the session not
    saved at its end), templates/400.html (Chinese first) for any other bad request."""
    if database_unavailable(exception):
        logger.warning("database unavailable, answered 503: %s", type(exception).__name__)
        return unavailable_response(request)
    return defaults.bad_request(request, exception)
