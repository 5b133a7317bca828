"""The running monthly figures keep two more things the pages read from the rows on every request:
the premium of the members still active (what the offices below owe in their remittance reports,
which the home page and the dashboard check for premium held back) and the claims paid in the
month by the outcome of their phone callback (the overview's 回访 counts). The triggers of
0003_month_figures are replaced by ones that carry them, and every row is computed again."""

from django.db import migrations, models

# The columns the triggers keep, in the order of each delta's SELECT.
COLUMNS = ("people", "shares", "premium", "claims", "paid")
ADDED = ("premium_active", "callbacks_satisfied", "callbacks_complaint", "callbacks_not_reached")

ENROLLMENT_MONTH = "date_trunc('month', {t}.created_at AT TIME ZONE 'Asia/Shanghai')::date"


def _enrollment_delta(columns):
    added = (
        ", {sign} * coalesce(sum(premium) FILTER (WHERE status = 'active'), 0) AS premium_active, "
        "0 AS callbacks_satisfied, 0 AS callbacks_complaint, 0 AS callbacks_not_reached"
        if columns != COLUMNS
        else ""
    )
    return (
        "SELECT org_path, period_id, " + ENROLLMENT_MONTH + " AS month, {sign} * count(*) AS people, "
        "{sign} * sum(shares) AS shares, {sign} * sum(premium) AS premium, 0 AS claims, 0 AS paid"
        + added
        + " FROM {t} GROUP BY 1, 2, 3"
    )


def _claim_delta(columns):
    added = (
        ", 0 AS premium_active"
        + "".join(
            f", {{sign}} * count(*) FILTER (WHERE callback_outcome = '{outcome}') AS callbacks_{outcome}"
            for outcome in ("satisfied", "complaint", "not_reached")
        )
        if columns != COLUMNS
        else ""
    )
    return (
        "SELECT org_path, period_id, date_trunc('month', {t}.paid_on)::date AS month, 0 AS people, 0 AS shares, "
        "0 AS premium, {sign} * count(*) AS claims, {sign} * coalesce(sum(payout), 0) AS paid"
        + added
        + " FROM {t} WHERE status = 'paid' AND paid_on IS NOT NULL GROUP BY 1, 2, 3"
    )


def _apply(columns, delta):
    """One upsert of the statement's delta into every node above its rows (see 0003_month_figures:
    path order against deadlocks, rows left all zero removed)."""
    names = ", ".join(columns)
    sums = ", ".join(f"sum(d.{c})" for c in columns)
    nonzero = " OR ".join(f"sum(d.{c}) <> 0" for c in columns)
    added = ", ".join(f"{c} = f.{c} + EXCLUDED.{c}" for c in columns)
    returned = ", ".join(f"f.{c}" for c in columns)
    zero = " AND ".join(f"{c} = 0" for c in columns)
    return f"""
    WITH changed AS (
        INSERT INTO reporting_monthfigure AS f (org_id, org_path, parent_path, period_id, month, {names})
        SELECT o.id, o.path, coalesce(up.path, ''), d.period_id, d.month, {sums}
        FROM ({delta}) d
        CROSS JOIN LATERAL generate_series(1, length(d.org_path) / 7) AS k(level)
        JOIN mutualaid_organisation o ON o.path = substr(d.org_path, 1, 7 * k.level)
        LEFT JOIN mutualaid_organisation up ON up.id = o.parent_id
        GROUP BY o.id, o.path, up.path, d.period_id, d.month
        HAVING {nonzero}
        ORDER BY o.path, d.period_id, d.month
        ON CONFLICT (org_path, period_id, month) DO UPDATE SET {added}
        RETURNING f.id, {returned}
    )
    SELECT array_agg(id) FILTER (WHERE {zero}) INTO emptied FROM changed;
    IF emptied IS NOT NULL THEN
        DELETE FROM reporting_monthfigure WHERE id = ANY(emptied);
    END IF;
"""


def _function(name, columns, delta):
    def apply(*parts):
        return _apply(columns, " UNION ALL ".join(parts))

    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    emptied bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {apply(delta.format(t="new_rows", sign=1))}
    ELSIF TG_OP = 'UPDATE' THEN
        {apply(delta.format(t="old_rows", sign=-1), delta.format(t="new_rows", sign=1))}
    ELSE
        {apply(delta.format(t="old_rows", sign=-1))}
    END IF;
    RETURN NULL;
END $$;
"""


def _rebuild(columns):
    """Every node's figures computed again from the rows, under a lock that makes concurrent
    writers wait (their triggers then add their rows on top)."""
    names = ", ".join(columns)
    sums = ", ".join(f"sum(d.{c})" for c in columns)
    enrollments = _enrollment_delta(columns).format(t="enrollment_enrollment", sign=1)
    claims = _claim_delta(columns).format(t="claims_claim", sign=1)
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


def _functions(columns, *, refill):
    """The triggers' functions and the rebuild for `columns`; `refill` computes every row again
    (not on the way back: the added columns, still there then, keep what they hold)."""
    return [
        _function("reporting_enrollment_figures", columns, _enrollment_delta(columns)),
        _function("reporting_claim_figures", columns, _claim_delta(columns)),
        _rebuild(columns),
        *(["SELECT reporting_month_figures_rebuild();"] if refill else []),
    ]


def _figure(name):
    if name == "premium_active":
        return models.DecimalField(decimal_places=2, default=0, max_digits=16)
    return models.BigIntegerField(default=0)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_merge_oversight"),
    ]

    operations = [
        *(migrations.AddField(model_name="monthfigure", name=name, field=_figure(name)) for name in ADDED),
        migrations.RunSQL(_functions((*COLUMNS, *ADDED), refill=True), _functions(COLUMNS, refill=False)),
    ]
