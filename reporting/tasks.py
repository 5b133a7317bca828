from __future__ import annotations

from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError

from mutualaid import dates
from mutualaid.models import Organisation, OrgKind
from mutualaid.scopedtask import ScopedTask
from mutualaid.tenancy import unscoped
from reporting import services
from reporting.models import SnapshotKind
from reporting.renewals import count_renewals  # noqa: F401 - a task of the app, declared beside its count


@shared_task(name="reporting.rollup_all")
def rollup_all() -> int:
    """Beat, on the configured day: each city's roll-up of last month (and of the quarter just
    ended), each in its own scope. Reads only the cities' ids."""
    with unscoped():  # a beat fan-out: no office asks, and it reads only the cities' ids
        cities = list(
            Organisation.objects.filter(kind__in=[OrgKind.CITY, OrgKind.INDUSTRY]).values_list("pk", flat=True)
        )
    month = dates.last_month()
    for city_id in cities:
        rollup_office.delay(org_id=city_id, period=month.isoformat())
    return len(cities)


@shared_task(
    base=ScopedTask, name="reporting.rollup_office", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def rollup_office(*, org_id: int, period: str, actor_id: int | None = None) -> str:
    """Roll up one office's closed month, then let its province consolidate if every city is in.
    Idempotent: run twice, it finds its own snapshot and changes nothing."""
    office = Organisation.objects.get(pk=org_id)
    start = date.fromisoformat(period)
    results = []
    kinds = [SnapshotKind.MONTHLY]
    if start.month % 3 == 0:
        kinds.append(SnapshotKind.QUARTERLY_CLAIMS)
    for kind in kinds:
        try:
            snapshot, created = services.snapshot_rollup(office=office, period=start, kind=kind)
        except ValidationError as error:  # nothing to roll up, or a correction needs a person
            results.append(f"{kind}: {' '.join(error.messages)}")
            continue
        results.append(f"{kind}: r{snapshot.revision} {'created' if created else 'unchanged'}")
    if office.parent_id:
        consolidate_province.delay(org_id=office.ancestor_ids()[0], period=period)
    return "; ".join(results)


@shared_task(base=ScopedTask, name="reporting.consolidate_province")
def consolidate_province(*, org_id: int, period: str, actor_id: int | None = None) -> str:
    province = Organisation.objects.get(pk=org_id)
    start = date.fromisoformat(period)
    try:
        snapshot = services.snapshot_consolidate(province=province, period=start)
    except ValidationError as error:
        return " ".join(error.messages)
    return f"r{snapshot.revision}"


@shared_task(base=ScopedTask, name="reporting.export", acks_late=True, reject_on_worker_lost=True)
def export(*, org_id: int, export_pk: int, actor_id: int | None = None) -> str:
    """Prepare one export in the scope of the office that asked for it. Idempotent: a job done
    is not redone, and a run cut off half-way is started again from scratch (reporting/jobs.py)."""
    from reporting import jobs
    from reporting.models import ExportJob

    return jobs.export_job_run(job=ExportJob.objects.get(pk=export_pk)).status


@shared_task(base=ScopedTask, name="reporting.simulate", acks_late=True, reject_on_worker_lost=True)
def simulate(*, org_id: int, run_pk: int, actor_id: int | None = None) -> str:
    """Re-run past claims and enrollments under a proposal, in the scope of the office that runs
    the plan. Idempotent: a finished run is not redone, and one cut off half-way starts again from
    scratch, its partial work never shown (reporting/simulations.py)."""
    from reporting.models import SimulationRun
    from reporting.simulations import simulation_run

    return simulation_run(run=SimulationRun.objects.get(pk=run_pk)).status
