"""Exports prepared in the background: the overview or the rankings as xlsx or PDF.

A job is created with its parameters checked in the requester's scope, then run by a Celery task
in the scope of the requester's office. Running is idempotent without holding a lock: a run
claims the job with a conditional UPDATE that bumps its `attempt`, and every later write of the
run (progress, the result) is conditional on that attempt still being the job's. So:

- a job already done (or failed) is not run again;
- a run cut off half-way (the worker killed; with late acks the task is delivered again) is
  superseded by the next one, which starts from scratch; a stale run that wakes up later can no
  longer move the job, and removes its own file;
- the finished job keeps exactly one file: each attempt writes its own name in the job's folder,
  and the winner removes whatever earlier attempts left there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualaid import dates
from mutualaid.badinput import whole_number
from mutualaid.models import Organisation, UnitType, User
from mutualaid.numbers import month_text
from mutualaid.replica import replica_reads
from reporting import exports, rankings
from reporting.models import ExportJob, ExportKind, ExportStatus
from reporting.selectors import node_get

logger = logging.getLogger(__name__)


def parse_year(value: Any) -> int | None:
    year = whole_number(value)
    return year if year is not None and 2000 <= year <= 2100 else None


def plan_get(plan: Any, *, node: Organisation) -> Any:
    """One of the plans the node can be ranked in; the first when none is asked for."""
    plans = rankings.ranking_plan_list(node=node)
    if plan in (None, "") and plans:
        return plans[0]
    found = next((p for p in plans if str(p.pk) == str(plan)), None)
    if found is None:
        raise ValidationError(_("Choose a plan."))
    return found


# Jobs --------------------------------------------------------------------------------------------


def _params(kind: str, raw: dict[str, Any], *, office: Organisation) -> tuple[dict[str, Any], str]:
    """Checked, normalised parameters and the job's title. Lookups run in the actor's scope."""
    node = node_get(office=raw.get("office"), default=office)
    if kind in {ExportKind.OVERVIEW_XLSX, ExportKind.OVERVIEW_PDF}:
        month = dates.parse_month(raw.get("month", "")) if raw.get("month") else dates.last_month()
        if month is None:
            raise ValidationError(_("Give the month as YYYY-MM."))
        return {"office": node.pk, "month": f"{month:%Y-%m}"}, f"{node.name} · {month_text(month)}"
    year = parse_year(raw.get("year")) if raw.get("year") not in (None, "") else timezone.localdate().year
    if year is None:
        raise ValidationError(_("Give the year as four digits."))
    plan = plan_get(raw.get("plan"), node=node)
    sort = raw.get("sort") if raw.get("sort") in rankings.SORTS else rankings.DEFAULT_SORT
    # The type of unit the page is narrowed to, as the page and its direct downloads read it.
    unit_type = raw.get("unit_type") or ""
    if unit_type not in ("", *UnitType.values):
        raise ValidationError(_("Choose a type of unit from the list, or every type."))
    parts = [node.name, plan.name, *([str(UnitType(unit_type).label)] if unit_type else []), str(year)]
    return {"office": node.pk, "year": year, "plan": plan.pk, "sort": sort, "unit_type": unit_type}, " · ".join(parts)


def export_job_create(*, actor: User, kind: str, params: dict[str, Any]) -> ExportJob:
    if not actor.has_perm("reporting.view"):
        raise PermissionDenied(_("Your roles do not allow this."))
    office = actor.org
    if office is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    if kind not in ExportKind.values:
        raise ValidationError(_("Choose what to export."))
    checked, title = _params(kind, params, office=office)
    return ExportJob.objects.create(org=office, kind=kind, params=checked, title=title, created_by=actor)


def _build(job: ExportJob, step: Callable[[int], None]) -> exports.Document:
    """The job's document, from its stored parameters (read again in the job's scope)."""
    params = job.params
    node = Organisation.objects.get(pk=params["office"])
    step(10)
    pdf = job.kind in {ExportKind.OVERVIEW_PDF, ExportKind.RANKINGS_PDF}
    if job.kind in {ExportKind.OVERVIEW_XLSX, ExportKind.OVERVIEW_PDF}:
        month = dates.parse_month(params["month"])
        if month is None:
            raise ValidationError(_("Give the month as YYYY-MM."))
        return exports.overview_document(node=node, month=month, pdf=pdf)
    plan = plan_get(params["plan"], node=node)
    step(30)
    return exports.rankings_document(
        node=node,
        plan=plan,
        year=int(params["year"]),
        sort=params.get("sort", ""),
        pdf=pdf,
        unit_type=params.get("unit_type", ""),
    )


def export_job_run(*, job: ExportJob) -> ExportJob:
    """Prepare the job's file; see the module's docstring for why this may safely run twice."""
    mine = ExportJob.objects.filter(pk=job.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
    if not mine.update(status=ExportStatus.RUNNING, attempt=F("attempt") + 1, progress=0, error=""):
        job.refresh_from_db()
        return job  # done or failed already: not redone
    job.refresh_from_db()
    current = ExportJob.objects.filter(pk=job.pk, attempt=job.attempt, status=ExportStatus.RUNNING)

    def step(progress: int) -> None:
        current.update(progress=progress)

    try:
        with replica_reads():  # the figures from the replica when there is one; the job's own row stays on the primary
            document = _build(job, step)
    except Exception as error:
        logger.exception("export %s failed", job.pk)
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        current.update(status=ExportStatus.FAILED, error=message[:300], finished_at=timezone.now())
        job.refresh_from_db()
        return job
    step(90)
    suffix = "pdf" if document.content_type == exports.PDF else "xlsx"
    storage = job.file.storage
    name = storage.save(f"reports/{job.pk}/attempt-{job.attempt}.{suffix}", ContentFile(document.data))
    won = current.update(
        status=ExportStatus.DONE,
        progress=100,
        file=name,
        filename=document.filename[:200],
        finished_at=timezone.now(),
    )
    if not won:  # a later attempt has taken the job over: leave it its own file
        storage.delete(name)
    else:
        _remove_leftovers(storage, folder=f"reports/{job.pk}", keep=name)
    job.refresh_from_db()
    return job


def _remove_leftovers(storage: Any, *, folder: str, keep: str) -> None:
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file in files:
        path = f"{folder}/{file}"
        if path != keep:
            storage.delete(path)
