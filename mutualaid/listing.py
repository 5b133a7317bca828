"""The list pages of the product: sorted by a column, filtered, paged with the total, and
downloaded as a workbook of exactly what the page shows (issue 16).

A list page is a `ListPage` view naming a django-tables2 `Table` (the columns, how each sorts and
shows its value) and a django-filter `FilterSet` (the filters), over a queryset that comes from the
app's scoped selector. What a person asks for can only narrow that queryset:

- the queryset starts from the selector, inside the request's organisation scope;
- a filter naming a row the person cannot see (an office, a plan or a period of another tree) is
  refused by its form field (its choices are what the scope holds) and the page shows nothing, with
  the form's message, rather than dropping the filter and showing everything;
- a malformed id in the query string is answered 400 before the view runs (mutualaid/badinput.py).

A search (a claim number, a name, a full ID number) is POSTed, never put in the query string,
where server logs and the browser's history would keep it. The page it answers carries it on: the
text is kept in the person's session under a random token, and the page's links (the columns'
sort, the pages, the filters' form, the download) carry `found=<token>`, so that sorting, paging
and filtering keep the search; a token of another page or an expired session finds nothing kept
and the list is shown unsearched, with a word saying so.

`?export=xlsx` with the same query string gives every row of the view (all pages, same filters and
sort) through the product's one workbook writer (mutualaid/spreadsheets/write.py): text a person
typed is a text cell, money and counts are numbers in the product's format, dates are dates.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from itertools import islice
from typing import Any, ClassVar, cast

import django_filters
import django_tables2 as tables
from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django_tables2.rows import BoundRow

from mutualaid import dates
from mutualaid.downloads import attachment, file_name
from mutualaid.formrender import ALL, word_empty_choices
from mutualaid.models import Organisation, OrgKind
from mutualaid.numbers import count_text, date_text, datetime_text, money_text
from mutualaid.spreadsheets import write
from mutualaid.views import StaffView

PAGE_SIZE = 50
SEARCHES = "list_searches"  # the session's key: {token: [path, text]}, the last KEPT_SEARCHES
KEPT_SEARCHES = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The most rows one download holds: a province's year of claims (300,000 rows) would hold a web
# process for minutes and most of a gigabyte; past this the page asks for a filter first.
DOWNLOAD_CAP = 50_000

# --- Columns: what a cell shows on the page, and what it holds in the workbook ------------------


class MoneyColumn(tables.Column):
    """An amount in yuan: 12,345.60 on the page, a number in the money format in the workbook."""

    number_format = write.MONEY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return money_text(value)

    def value(self, value: Any) -> Any:
        return value


class CountColumn(MoneyColumn):
    """A count (people, rows, shares): 1,234 on the page, a number in the workbook."""

    number_format = write.COUNT

    def render(self, value: Any) -> str:
        return count_text(value)


class DayColumn(tables.Column):
    """A date (or the business day of a moment): 2026年12月6日 on the page, on one line (not
    2026年11 / 月29日 in a narrow column), a date in the workbook."""

    number_format = write.DATE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return date_text(value)

    def value(self, value: Any) -> Any:
        return timezone.localtime(value).date() if hasattr(value, "tzinfo") and value.tzinfo else value


class MomentColumn(tables.Column):
    """A moment in the business time zone: 2026年12月6日 09:30 on the page (as every page writes
    it), a date and time in the workbook."""

    number_format = "yyyy-mm-dd hh:mm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return datetime_text(value)

    def value(self, value: Any) -> Any:
        return timezone.localtime(value).replace(tzinfo=None) if value else None


class MonthColumn(DayColumn):
    """A month (kept as its first day): 2026年11月 on the page, a date shown as 2026-11 in the workbook."""

    number_format = "yyyy-mm"

    def render(self, value: Any) -> str:
        return f"{value.year}年{value.month}月"


class StatusColumn(tables.Column):
    """A status as its tag on the page, its words in the workbook."""

    def render(self, value: Any, record: Any, bound_column: Any) -> str:
        code = getattr(record, bound_column.accessor.split(".")[-1], "")
        return format_html('<span class="tag status-{}">{}</span>', code, value)

    def value(self, value: Any) -> Any:
        return value


class JobStatusColumn(tables.Column):
    """A background job's status: its progress bar while it runs (static/js/jobs.js follows the
    rows carrying `data-job-url`), its words and any error once it has ended."""

    def render(self, value: Any, record: Any) -> str:
        if record.status in {"queued", "running"}:
            return format_html(
                '<div class="progress compact"><div class="bar" data-progress="{}"></div></div>'
                '<span class="muted small" data-testid="job-status">{} <span data-figure>{}</span>%</span>',
                record.progress,
                value,
                record.progress,
            )
        if record.error:
            return format_html('{} <span class="muted small">{}</span>', value, record.error)
        return str(value)

    def value(self, value: Any, record: Any) -> str:
        return f"{value} {record.error}".strip()


# The columns whose cells are not text (see ListTable): figures, dates, statuses, yes or no.
NOT_TEXT_COLUMNS = (MoneyColumn, DayColumn, MomentColumn, StatusColumn, JobStatusColumn, tables.BooleanColumn)


class ListTable(tables.Table):
    """The product's table: its markup (partials/list_table.html), and words for an empty list.

    A column of text (a unit's, a plan's, an office's or a person's name: a `tables.Column`, not a
    number, a date or a status) is a `text_cell`: the markup holds its words in a box as wide as
    they are up to about ten characters, so that the table never squeezes it into a column of one
    or two characters a line (雁/塔/区) beside its numbers and dates, and a long name reads in two
    lines, ending in … past them with the whole name in its title (app.css, app.js); a cell that
    holds buttons or a list is left as it is."""

    class Meta:
        template_name = "partials/list_table.html"
        attrs = {"class": "table"}
        empty_text = gettext_lazy("Nothing matches these filters.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # django-tables2 does not pass a Meta on to subclasses that declare none (the template is
        # the settings' DJANGO_TABLES2_TEMPLATE): the defaults here.
        kwargs.setdefault("empty_text", self._meta.empty_text or ListTable.Meta.empty_text)
        if not self._meta.attrs:
            kwargs.setdefault("attrs", ListTable.Meta.attrs)
        super().__init__(*args, **kwargs)
        for bound in self.columns:
            column = bound.column  # the table's own copy of the class's column
            # A figure, or words already kept on one line (the audit log's office, a policy number).
            classes = set(str(column.attrs.get("td", {}).get("class", "")).split())
            column.text_cell = not isinstance(column, NOT_TEXT_COLUMNS) and not classes & {"num", "nowrap"}


# --- Filters -------------------------------------------------------------------------------------


class _QueryAtOnce(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a copy: the field's own queryset keeps no rows
            yield self.choice(obj)


class ChoicesAtOnce(django_filters.fields.ModelChoiceIterator, _QueryAtOnce):
    """A filter's choices of rows (offices, plans, periods) read in one plain query. Django reads
    them through `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor: three round
    trips (declare, fetch, close) and two thirds more processor time, for the few hundred rows a
    filter offers at most. django-filter's own iterator (its "null" choice) stays in front."""


class ListFilter(django_filters.FilterSet):
    """A filter form whose choices are what the caller's scope holds (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = getattr(getattr(self.request, "user", None), "org", None)
        if org is not None and org.kind == OrgKind.UNIT and "office" in self.form.fields:
            # A unit's tree holds no office to choose: the filter is not offered (a unit's agent
            # read "all offices and agent points" over their one unit), yet still checked when asked.
            self.form.fields["office"].widget = forms.HiddenInput()
        word_empty_choices(self.form, ALL)  # a filter's empty choice: 全部, never "---------"
        for field in self.form.fields.values():
            if isinstance(field, django_filters.fields.ModelChoiceField):
                field.iterator = ChoicesAtOnce
                field.widget.choices = field.choices  # the widget keeps the iterator it was given
            field.required = False
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("aria-label", field.label)
            elif isinstance(field.widget, forms.TextInput):
                field.widget.attrs.setdefault("placeholder", field.label)


def office_choices() -> QuerySet[Organisation]:
    """The offices and agent points in scope (units are found by name)."""
    return Organisation.objects.exclude(kind=OrgKind.UNIT).order_by("path")


def office_filter(**kwargs: Any) -> django_filters.ModelChoiceFilter:
    """Rows of an office's subtree (the office itself, its agent points and units)."""

    def under(queryset: QuerySet[Any], name: str, office: Organisation | None) -> QuerySet[Any]:
        return queryset.filter(org_path__startswith=office.path) if office is not None else queryset

    kwargs.setdefault("label", gettext_lazy("Office or agent point"))
    kwargs.setdefault("empty_label", gettext_lazy("All offices and agent points"))
    kwargs.setdefault("method", under)
    return django_filters.ModelChoiceFilter(queryset=lambda request: office_choices(), **kwargs)


def date_range(field_name: str, label: str | Promise) -> django_filters.DateFromToRangeFilter:
    """From a day to a day (both kept); a moment is compared by its business day."""
    lookup = f"{field_name}__date" if field_name.endswith("_at") else field_name
    return django_filters.DateFromToRangeFilter(
        field_name=lookup, label=label, widget=django_filters.widgets.RangeWidget(attrs={"type": "date"})
    )


# --- The page ------------------------------------------------------------------------------------


class ListPage(StaffView):
    """A list page: `queryset()` from the app's scoped selector, `table_class`, `filter_class`,
    and the name of its download (`export_name`, in the active language)."""

    template_name = "partials/list_page.html"
    table_class: ClassVar[type[ListTable]]
    filter_class: ClassVar[type[ListFilter] | None] = None
    export_name: ClassVar[str | Promise]
    title: ClassVar[str | Promise]
    page_size = PAGE_SIZE
    # A search that may hold a full ID number is POSTed, never put in the query string, where
    # server logs and the browser's history would keep it; its placeholder says what it finds.
    search_label: ClassVar[str | Promise | None] = None
    # A list that may hold millions of rows (every member of a province) counts at most this many:
    # past it the page says "more than", shows the newest rows in the selector's indexed order
    # without sorting them, and offers no download; a search or a filter narrows it to a count.
    count_cap: ClassVar[int | None] = None
    # The order of a list past its cap: the newest first, on an index.
    capped_order: ClassVar[tuple[str, ...]] = ("-pk",)
    capped = False
    # The most rows its download holds (see DOWNLOAD_CAP); set lower where a row costs more.
    download_cap: ClassVar[int] = DOWNLOAD_CAP
    # Whether the rows found are more than one download holds, once the table is drawn.
    too_many_to_download = False
    # The rows `filtered()` gave the table drawn (all pages), once it is drawn.
    filtered_rows: QuerySet[Any] | None = None

    def queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def searched(self, rows: QuerySet[Any], text: str) -> QuerySet[Any]:
        return rows

    def prepare(self, records: list[Any]) -> None:
        """Figures of the shown rows that take one query for all of them (set on each record)."""

    def found_keys(self, keys: QuerySet[Any]) -> list[Any]:
        """The keys of the rows within the count cap (and one past it), read by the count's pass."""
        return list(keys)

    def within_cap(self, rows: QuerySet[Any], found: list[Any]) -> QuerySet[Any]:
        """The rows of a list that the count found within its cap: those found, by their keys (the
        page then sorts a few thousand rows, not a search without an index again). A list whose
        conditions are all on indexes, and whose keys are not, keeps its query."""
        return rows.filter(pk__in=found)

    def search_text(self) -> str:
        if self.search_label is None:
            return ""
        if self.request.method == "POST":
            return self.request.POST.get("q", "").strip()[:100]
        kept = self.request.session.get(SEARCHES, {}).get(self.request.GET.get("found", ""))
        return str(kept[1]) if kept and kept[0] == self.request.path else ""

    def _keep_search(self, text: str) -> None:
        """The POSTed search kept under a new token, which the page's links then carry."""
        query = self.request.GET.copy()
        query.pop("found", None)
        query.pop("page", None)
        if text:
            kept = dict(self.request.session.get(SEARCHES, {}))
            token = secrets.token_urlsafe(9)
            kept[token] = [self.request.path, text]
            self.request.session[SEARCHES] = dict(list(kept.items())[-KEPT_SEARCHES:])
            query["found"] = token
        query._mutable = False
        self.request.GET = query  # type: ignore[assignment] # read-only again, as Django's own

    def filtered(self) -> tuple[QuerySet[Any], ListFilter | None]:
        """The selector's rows narrowed by the filters; none at all when a filter is refused."""
        rows = self.queryset()
        if text := self.search_text():
            rows = self.searched(rows, text)
        if self.filter_class is None:
            return rows, None
        params = self.request.GET.copy()
        for key in ("page", "sort", "export", "found"):
            params.pop(key, None)
        filterset = self.filter_class(params or None, queryset=rows, request=self.request)
        if filterset.is_bound and not filterset.is_valid():
            return rows.none(), filterset
        return filterset.qs, filterset

    def table(self, *, paged: bool) -> tuple[ListTable, ListFilter | None]:
        rows, filterset = self.filtered()
        self.filtered_rows = rows  # for a page that also sums them: not built and filtered twice
        known: int | None = None
        if self.count_cap is not None:
            # One pass that stops at the cap: no count of millions, and no second pass to sort a
            # few thousand found without an index (a part of a name); the page then reads those.
            found = self.found_keys(rows.order_by().values_list("pk", flat=True)[: self.count_cap + 1])
            known = len(found)
            self.capped = known > self.count_cap
            # Past the cap the newest first, through the primary key's index; else what was found.
            rows = rows.order_by(*self.capped_order) if self.capped else self.within_cap(rows, found)
        # No `request=` here: django-tables2 would sort and count the rows by it on its own.
        table = self.table_class(rows, orderable=not self.capped)
        unfiltered = (filterset is None or not filterset.is_bound) and not self.search_text()
        if unfiltered and table.empty_text == ListTable.Meta.empty_text:
            # Nothing to match yet, not "nothing matches these filters" when none was chosen.
            table.empty_text = gettext_lazy("Nothing in this list yet.")
        table.request = self.request
        sort = self.request.GET.get("sort", "")
        if sort and not self.capped:
            table.order_by = sort  # an unknown column is ignored by django-tables2
        if paged:
            paginator = {"paginator_class": KnownCountPaginator, "count": known} if known is not None else {}
            try:
                table.paginate(page=_page_number(self.request), per_page=self.page_size, **paginator)
            except EmptyPage:  # past the last page (the list got shorter): its last page
                table.paginate(page=table.paginator.num_pages, per_page=self.page_size, **paginator)
            self.prepare([row.record for row in table.page.object_list])
        elif not self.capped:  # past the cap there is no download
            # Counted up to one past the download's cap before a row is read; the download then
            # reads and prepares its rows a chunk at a time (`table_workbook`).
            self.too_many_to_download = rows.order_by()[: self.download_cap + 1].count() > self.download_cap
        return table, filterset

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.search_label is None:
            return HttpResponseNotAllowed(["GET"])
        if request.POST.get("export") == "xlsx":
            return self.export()
        self._keep_search(self.search_text())
        return self.render_to_response(self.get_context_data(**kwargs))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        table, filterset = self.table(paged=True)
        search = self.search_text()
        query = self.request.GET.copy()
        for key in ("page", "export", *(() if search else ("found",))):
            query.pop(key, None)
        here = query.urlencode()
        unsearched = query.copy()
        unsearched.pop("found", None)
        query["export"] = "xlsx"
        context.update(
            unsearched_query=unsearched.urlencode(),
            table=table,
            filter=filterset,
            total=table.paginator.count,
            capped=self.capped,
            count_cap=self.count_cap,
            download_cap=self.download_cap,
            export_query=query.urlencode(),
            here_query=here,
            search=search,
            search_lost=bool(self.request.GET.get("found")) and not search,
            search_label=self.search_label,
            title=self.title,
            refused=filterset is not None and filterset.is_bound and not filterset.is_valid(),
        )
        return context

    def export(self) -> HttpResponse:
        table, _filterset = self.table(paged=False)
        if self.capped or self.too_many_to_download:
            cap = self.count_cap if self.capped else self.download_cap
            message = _too_many_to_download(cap or 0)
            return HttpResponseBadRequest(render_to_string("400_query.html", {"message": message}))
        data = table_workbook(table, title=force_str(self.export_name), prepare=self.prepare)
        name = file_name(self.export_name, f"{dates.business_today():%Y%m%d}", suffix="xlsx")
        return attachment(data, content_type=XLSX, name=name)


def _too_many_to_download(cap: int) -> str:
    return gettext(
        "This list has more than %(cap)s rows: narrow it with the search or the filters above, then download it."
    ) % {"cap": count_text(cap)}


class KnownCountPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count (the capped count the page made), which it does not query again."""

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached property


def _page_number(request: HttpRequest) -> int:
    from mutualaid.badinput import whole_number

    return max(1, whole_number(request.GET.get("page", "1"), most=10**6) or 1)


# How many records a download reads, prepares and writes at a time: its memory is a chunk's, not
# the list's (a city's 35,000 claims with their five related rows each held 780 MB at once).
DOWNLOAD_CHUNK = 2_000


def table_workbook(table: tables.Table, *, title: str, prepare: Callable[[list[Any]], None] | None = None) -> bytes:
    """Every row of `table` in its order, its columns as the page shows them; through the writer.
    The records are read `DOWNLOAD_CHUNK` at a time, each chunk given to `prepare` first."""
    columns = [column for column in table.columns if not column.column.exclude_from_export]
    sheet_columns: list[write.Column] = []
    for column in columns:
        number_format = getattr(column.column, "number_format", None)
        sheet_columns.append(
            write.Column(
                key=column.name,
                header=force_str(column.header),
                headers=frozenset(),
                text=number_format is None,
                width=14 if number_format else 22,
                number_format=number_format or write.COUNT,
            )
        )
    rows = _cell_values(table, [column.name for column in columns], [spec.text for spec in sheet_columns], prepare)
    return write.workbook_bytes(title=title, columns=sheet_columns, rows=rows)


def _cell_values(
    table: tables.Table, names: list[str], texts: list[bool], prepare: Callable[[list[Any]], None] | None
) -> Iterator[list[object]]:
    """Each record's cells as the page shows them (text columns as text), a chunk at a time."""
    for records in _chunks(table.data.data):
        if prepare is not None:
            prepare(records)
        for record in records:
            row = BoundRow(record, table=table)
            values: list[object] = []
            for name, text in zip(names, texts, strict=True):
                value = row.get_cell_value(name)
                if text:
                    value = "" if value is None or value == table.default else force_str(value)
                elif value == table.default or value == "":
                    value = None
                values.append(value)
            yield values


def _chunks(data: QuerySet[Any] | Sequence[Any]) -> Iterator[list[Any]]:
    """The records of a table's data (sorted already) in lists of `DOWNLOAD_CHUNK`: a queryset is
    read through a cursor that is closed at once if the download fails half-way."""
    if not isinstance(data, QuerySet):
        for start in range(0, len(data), DOWNLOAD_CHUNK):
            yield list(data[start : start + DOWNLOAD_CHUNK])
        return
    with closing(cast("Generator[Any]", data.iterator(chunk_size=DOWNLOAD_CHUNK))) as records:
        while chunk := list(islice(records, DOWNLOAD_CHUNK)):
            yield chunk


__all__ = [
    "CountColumn",
    "DayColumn",
    "JobStatusColumn",
    "ListFilter",
    "ListPage",
    "ListTable",
    "MomentColumn",
    "MoneyColumn",
    "MonthColumn",
    "StatusColumn",
    "date_range",
    "office_filter",
    "table_workbook",
]
