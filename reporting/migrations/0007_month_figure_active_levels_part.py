"""The running monthly figures keep the union levels' part of the active members' premium beside
that premium (`levels_part_active`): what an office below owes in its remittance report is the
premium it holds, the month's premium less the levels' part (theirs to pay, finance/services/
remittances.py), so the warning of a report not drafted yet (finance.selectors.remittances) must
not ask the levels' part of it. The triggers of 0006 are replaced by ones that carry it, and every
row is computed again (the existing rows get the column filled)."""

import importlib

from django.db import migrations, models

BEFORE = importlib.import_module("reporting.migrations.0006_month_figure_callbacks_and_active_premium")

# The columns the triggers keep, in the order of each delta's SELECT.
COLUMNS = (*BEFORE.COLUMNS, *BEFORE.ADDED, "levels_part_active")

ENROLLMENT_MONTH = BEFORE.ENROLLMENT_MONTH


def _enrollment_delta():
    return (
        "SELECT org_path, period_id, " + ENROLLMENT_MONTH + " AS month, {sign} * count(*) AS people, "
        "{sign} * sum(shares) AS shares, {sign} * sum(premium) AS premium, 0 AS claims, 0 AS paid, "
        "{sign} * coalesce(sum(premium) FILTER (WHERE status = 'active'), 0) AS premium_active, "
        "0 AS callbacks_satisfied, 0 AS callbacks_complaint, 0 AS callbacks_not_reached, "
        "{sign} * coalesce(sum(levels_part) FILTER (WHERE status = 'active'), 0) AS levels_part_active"
        " FROM {t} GROUP BY 1, 2, 3"
    )


def _claim_delta():
    return (
        "SELECT org_path, period_id, date_trunc('month', {t}.paid_on)::date AS month, 0 AS people, 0 AS shares, "
        "0 AS premium, {sign} * count(*) AS claims, {sign} * coalesce(sum(payout), 0) AS paid, 0 AS premium_active"
        + "".join(
            f", {{sign}} * count(*) FILTER (WHERE callback_outcome = '{outcome}') AS callbacks_{outcome}"
            for outcome in ("satisfied", "complaint", "not_reached")
        )
        + ", 0 AS levels_part_active"
        " FROM {t} WHERE status = 'paid' AND paid_on IS NOT NULL GROUP BY 1, 2, 3"
    )


def _rebuild():
    """As 0006's, with the new column (its body is the same for any list of columns)."""
    names = ", ".join(COLUMNS)
    sums = ", ".join(f"sum(d.{c})" for c in COLUMNS)
    enrollments = _enrollment_delta().format(t="enrollment_enrollment", sign=1)
    claims = _claim_delta().format(t="claims_claim", sign=1)
    return f"""
CREATE OR REPLACE FUNCTION reporting_month_figures_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    LOCK TABLE reporting_monthfigure IN EXCLUSIVE MODE;
    DELETE FROM reporting_monthfigure;
    INSERT INTO reporting_monthfigure (org_id, org_path, parent_path, period_id, month, {names})
    SELECT o.id, o.path, coalesce(up.path, ''), d.period_id, d.month, {sums}
    FROM ({enrollments} UNION ALL {claims}) d
    CROSS JOIN LATERAL generate_series(1, length(d.org_path) / 7) AS k(level)
    JOIN mutualaid_organisation o ON o.path = substr(d.org_path, 1, 7 * k.level)
    LEFT JOIN mutualaid_organisation up ON up.id = o.parent_id
    GROUP BY o.id, o.path, up.path, d.period_id, d.month
    HAVING sum(d.people) <> 0 OR sum(d.claims) <> 0;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END $$;
"""


FORWARD = [
    BEFORE._function("reporting_enrollment_figures", COLUMNS, _enrollment_delta()),
    BEFORE._function("reporting_claim_figures", COLUMNS, _claim_delta()),
    _rebuild(),
    "SELECT reporting_month_figures_rebuild();",
]
# Back to 0006's triggers (the column, still there then, keeps what it holds until removed).
BACKWARD = BEFORE._functions((*BEFORE.COLUMNS, *BEFORE.ADDED), refill=False)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_month_figure_callbacks_and_active_premium"),
        ("enrollment", "0014_union_level_subsidies"),
    ]

    operations = [
        migrations.AddField(
            model_name="monthfigure",
            name="levels_part_active",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=16),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
