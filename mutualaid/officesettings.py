"""Settings an office keeps for itself (claims targets, finance ratios): one row per office, or
the product's defaults while it has not saved its own."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from mutualaid.tenancy import unscoped

SettingsRow = TypeVar("SettingsRow", bound=models.Model)


def office_settings(model: type[SettingsRow], office: Any) -> SettingsRow:
    """`office`'s row of `model`, or an unsaved row of the defaults.

    Read unscoped: the settings that govern a row are often another office's than the reader's
    (a unit agent's claim runs on its reviewing city's targets; a county's remittance on its
    city's ratios), and they hold no personal data.
    """
    with unscoped():  # the governing office's settings row, often above the reader's scope
        found = model._default_manager.filter(org=office).first()
    return found or model(org=office)
