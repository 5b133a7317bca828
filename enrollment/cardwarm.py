"""Imported once by the fork server of the card renderers (enrollment/cardrender.py), never by
the app: WeasyPrint imported and the cards' fonts opened, without Django, so that every renderer
forked from the server starts warm and small. A failure here only leaves the renderers cold."""

from __future__ import annotations

import logging

try:
    from enrollment import carddraw

    carddraw.warm()
except Exception:  # the server must start whatever happens: its renderers then warm up themselves
    logging.getLogger(__name__).exception("The card renderers' fork server could not warm up")
