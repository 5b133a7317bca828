"""The project shell: settings, URLs, the Celery app and the WSGI/ASGI entry points.

It is the top layer: it imports every app, and no app imports it. Importing the package makes
the Celery app the current one, so the apps' `shared_task`s bind to it.
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
