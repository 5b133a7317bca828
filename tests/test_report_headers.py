"""The wide reports' headers on screen (reporting/headers.py): a group over short labels, each
column once, under its full name in the title, and every label in Chinese."""

from __future__ import annotations

import re

from django.utils import translation

from reporting import exports
from reporting.headers import OVERVIEW, RANKINGS, header_rows


def _check(columns: list[tuple[str, str, str]], groups: dict) -> tuple[list, list]:  # type: ignore[type-arg]
    top, bottom = header_rows(columns, groups)
    # Each column is under one header: a cell of its own spanning both rows, or a short label
    # under a group; the groups span exactly the short labels below them.
    assert sum(1 for cell in top if not cell.grouped) + len(bottom) == len(columns)
    assert sum(cell.span for cell in top if cell.grouped) == len(bottom)
    full = [str(header) for key, header, _fmt in columns if key in groups]
    assert [cell.title for cell in bottom] == full
    return top, bottom


def test_the_overview_s_headers_are_groups_over_short_labels_with_the_full_name_in_the_title() -> None:
    with translation.override("zh-hans"):
        top, bottom = _check(exports.columns(), OVERVIEW)
        assert [(cell.label, cell.span) for cell in top] == [
            ("参保人数", 2),
            ("参保份数", 2),
            ("保费", 2),
            ("年度目标", 2),
            ("历年累计理赔", 2),
            ("本年理赔", 2),
            ("赔付率", 1),
        ]
        assert [cell.label for cell in bottom][:3] == ["历年累计", "本年", "历年累计"]
        assert bottom[0].title == "历年累计参保人数"
        # Short enough to stay on one line: at most six characters.
        assert max(len(cell.label) for cell in [*top, *bottom]) <= 6


def test_the_rankings_headers_are_grouped_and_every_label_is_chinese() -> None:
    with translation.override("zh-hans"):
        top, bottom = _check(exports.ranking_columns(), RANKINGS)
        assert [cell.label for cell in top if cell.grouped] == ["参保人数", "保费", "会员覆盖", "同比"]
        assert max(len(cell.label) for cell in [*top, *bottom]) <= 6
        labels = [cell.label for cell in [*top, *bottom]]
    assert not [label for label in labels if re.search("[A-Za-z]", label)], labels
