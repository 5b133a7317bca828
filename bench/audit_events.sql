-- 2,000,000 audit events for the audit page's bench (issue 20), in a COPY of the bench database:
-- the bench province's own events are some 25,000 and must not be changed.
--
--   psql … -c "CREATE DATABASE mutualaid_bench_audit TEMPLATE mutualaid_bench STRATEGY FILE_COPY"
--   psql … mutualaid_bench_audit -f bench/audit_events.sql           (some minutes)
--   DATABASE_URL=…/mutualaid_bench_audit python manage.py migrate     (the page's indexes)
--   python bench/pages_bench.py --only /audit/ --database mutualaid_bench_audit
--
-- (`…`: the embedded server's socket, e.g. -h .local/pgdata -U postgres, or DATABASE_URL's server.)
-- 2,000 contexts (who acted, from which office) of the bench's people, then an event of the
-- enrollment event table for two enrollments in five, at a moment of the last year, by one of
-- those contexts; one in 10,000 is a full ID number shown (`id_revealed`), the rest changes.
CREATE TEMP TABLE ctx AS
SELECT gen_random_uuid() AS id, u.id AS uid, u.org_id, row_number() OVER () AS n
FROM generate_series(1, 2000) g
CROSS JOIN LATERAL (SELECT id, org_id FROM mutualaid_user WHERE g > 0 ORDER BY random() LIMIT 1) u;

INSERT INTO pghistory_context (id, created_at, updated_at, metadata)
SELECT id, now(), now(), jsonb_build_object('user', uid, 'org', org_id, 'synthetic', true) FROM ctx;

INSERT INTO enrollment_enrollmentevent (pgh_created_at, pgh_label, pgh_context_id, pgh_obj_id,
  id, org_path, province_id, plan_kind, row_number, name, id_hash, id_masked, gender, birth_date,
  shares, starts_on, ends_on, premium, member_part, unit_part, union_part, status, cancelled_on,
  cancel_reason, created_at, org_id, member_list_id, period_id, policy_id, number,
  employment_status, parent_id_hash, parent_name, levels_part)
SELECT now() - interval '365 days' * random(),
  CASE WHEN random() < 0.0001 THEN 'id_revealed' ELSE 'update' END, c.id, e.id,
  e.id, e.org_path, e.province_id, e.plan_kind, e.row_number, e.name, e.id_hash, e.id_masked,
  e.gender, e.birth_date, e.shares, e.starts_on, e.ends_on, e.premium, e.member_part, e.unit_part,
  e.union_part, e.status, e.cancelled_on, e.cancel_reason, e.created_at, e.org_id,
  e.member_list_id, e.period_id, e.policy_id, e.number, e.employment_status, e.parent_id_hash,
  e.parent_name, e.levels_part
FROM enrollment_enrollment e JOIN ctx c ON c.n = 1 + (e.id % 2000)
WHERE e.id % 5 IN (0, 2);

ANALYZE enrollment_enrollmentevent;
ANALYZE pghistory_context;
