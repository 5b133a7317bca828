"""Which model each object argument of the product's URLs names (`claim_pk` → claims.Claim).

Every view that takes an object from its URL must find it in the caller's subtree only; the
isolation walk (tests/test_isolation.py) proves it for every route by filling each argument
with another office's row of the model registered here. Each app registers the arguments of its
own routes when it loads, so a new route with a new argument fails the walk until it is declared.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

URL_OBJECTS: dict[str, str] = {
    "org_pk": "mutualaid.Organisation",
    "user_pk": "mutualaid.User",
    "notice_pk": "mutualaid.Notice",
}


def register_url_objects(objects: dict[str, str]) -> None:
    """Declare URL arguments (`<thing>_pk`) and the model (app_label.ModelName) each names."""
    for kwarg, label in objects.items():
        if URL_OBJECTS.get(kwarg, label) != label:
            raise ImproperlyConfigured(f"URL argument {kwarg} already names {URL_OBJECTS[kwarg]}, not {label}.")
        URL_OBJECTS[kwarg] = label
