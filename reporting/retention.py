"""What expires in reporting (mutualaid/retention.py): the files of finished exports, some days
after they were prepared. The job stays listed, without its file."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mutualaid.retention import Period, Rule, delete_files, in_batches
from reporting.models import ExportJob


def _exports(period: Period) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(finished_at__lt=period.days("RETENTION_EXPORT_DAYS")).exclude(file="")


def _delete_exports(queryset: QuerySet[ExportJob]) -> int:
    def apply(keys: list[int]) -> int:
        jobs = ExportJob.objects.filter(pk__in=keys)
        delete_files(ExportJob.file.field.storage, jobs.values_list("file", flat=True))
        return jobs.update(file="")

    return in_batches(queryset, apply)


RULES = [Rule("export_files", _("Export files"), _exports, _delete_exports)]
