"""Members numbered on their policy, and the supplementary lists merged before endorsements
existed recognised as endorsements.

A policy's first approved list keeps the numbers its cards were printed with (the workbook's
rows); every later list on the same policy is a supplementary merge: its members are numbered
after the policy's highest number, in the order of approval and then of the workbook's rows,
and the list becomes an endorsement (policy number + "-P01", "-P02" …) dated on the business
day (Asia/Shanghai) it was approved. Their cards carry new numbers and are to be printed again.

The backfill leaves the enrollments' per-row history trigger off while it writes the numbers: the
numbering is the system's, not a person's change, and one history row per enrolled person would
double the table.
"""

from django.conf import settings
from django.db import migrations

TRIGGER = "pgtrigger_update_update_7b25c"

NUMBER_FIRST_LISTS = """
WITH ranked AS (
    SELECT e.id, e.row_number,
           dense_rank() OVER (PARTITION BY e.policy_id ORDER BY ml.decided_at NULLS FIRST, ml.id) AS list_rank
    FROM enrollment_enrollment e JOIN enrollment_memberlist ml ON ml.id = e.member_list_id
)
UPDATE enrollment_enrollment e SET number = r.row_number FROM ranked r WHERE r.id = e.id AND r.list_rank = 1
"""

NUMBER_LATER_LISTS = """
WITH ranked AS (
    SELECT e.id, e.policy_id,
           row_number() OVER (PARTITION BY e.policy_id ORDER BY ml.decided_at NULLS FIRST, ml.id, e.row_number) AS n
    FROM enrollment_enrollment e JOIN enrollment_memberlist ml ON ml.id = e.member_list_id
    WHERE e.number IS NULL
), base AS (
    SELECT policy_id, max(number) AS top FROM enrollment_enrollment WHERE number IS NOT NULL GROUP BY policy_id
)
UPDATE enrollment_enrollment e SET number = COALESCE(b.top, 0) + r.n
FROM ranked r LEFT JOIN base b ON b.policy_id = r.policy_id
WHERE r.id = e.id
"""

ENDORSEMENTS = """
WITH lists AS (
    SELECT e.policy_id, e.member_list_id,
           count(*) AS members, coalesce(sum(e.shares), 0) AS shares, sum(e.premium) AS premium,
           sum(e.member_part) AS member_part, sum(e.unit_part) AS unit_part, sum(e.union_part) AS union_part,
           min(e.number) AS first_number, max(e.number) AS last_number, min(e.created_at) AS stored_at
    FROM enrollment_enrollment e GROUP BY e.policy_id, e.member_list_id
), ranked AS (
    SELECT l.*, ml.decided_by_id, COALESCE(ml.decided_at, l.stored_at) AS issued_at,
           dense_rank() OVER (PARTITION BY l.policy_id ORDER BY ml.decided_at NULLS FIRST, ml.id) AS list_rank
    FROM lists l JOIN enrollment_memberlist ml ON ml.id = l.member_list_id
)
INSERT INTO enrollment_endorsement (
    org_id, org_path, policy_id, member_list_id, sequence, number, effective_on, premium_month,
    member_count, share_count, premium, member_part, unit_part, union_part,
    first_member_number, last_member_number, issued_by_id, issued_at)
SELECT p.org_id, p.org_path, r.policy_id, r.member_list_id, r.list_rank - 1,
       p.number || '-P' || lpad((r.list_rank - 1)::text, 2, '0'),
       (r.issued_at AT TIME ZONE %(zone)s)::date,
       date_trunc('month', r.issued_at AT TIME ZONE %(zone)s)::date,
       r.members, r.shares, r.premium, r.member_part, r.unit_part, r.union_part,
       r.first_number, r.last_number, r.decided_by_id, r.issued_at
FROM ranked r JOIN enrollment_policy p ON p.id = r.policy_id
WHERE r.list_rank > 1
"""

LAST_NUMBERS = """
UPDATE enrollment_policy p SET last_member_number = m.top
FROM (SELECT policy_id, max(number) AS top FROM enrollment_enrollment GROUP BY policy_id) m
WHERE m.policy_id = p.id
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE enrollment_enrollment DISABLE TRIGGER {TRIGGER}")
        cursor.execute(NUMBER_FIRST_LISTS)
        cursor.execute(NUMBER_LATER_LISTS)
        cursor.execute(f"ALTER TABLE enrollment_enrollment ENABLE TRIGGER {TRIGGER}")
        cursor.execute(ENDORSEMENTS, {"zone": settings.TIME_ZONE})
        cursor.execute(LAST_NUMBERS)


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0004_endorsements_and_member_numbers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
