"""What each role may do in claims (registered with mutualaid.roles when the app loads)."""

from mutualaid.roles import EVERY_HUMAN_ROLE, Role

# Registering (window staff and agents), the three review levels and the leader's approval of
# large claims (one person may act at one level of a claim only), payment.
PERMISSIONS = {
    "claims.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "claims.register": frozenset(
        {Role.UNIT_AGENT, Role.COUNTY_AGENT, Role.CLAIMS_OFFICER, Role.OFFICE_HEAD, Role.API_CLIENT}
    ),
    "claims.review_first": frozenset({Role.CLAIMS_OFFICER}),
    "claims.review_second": frozenset({Role.CLAIMS_SUPERVISOR}),
    "claims.review_final": frozenset({Role.COMPLIANCE}),
    "claims.review_leader": frozenset({Role.LEADER}),
    "claims.pay": frozenset({Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "claims.callback": frozenset({Role.CLAIMS_OFFICER, Role.CLAIMS_SUPERVISOR}),
    "claims.configure": frozenset({Role.OFFICE_HEAD}),
    # Small offices: hand the level a claim waits at to another person who may decide it, and,
    # where nobody may, let the office head decide it with a written reason (an override).
    "claims.assign": frozenset({Role.OFFICE_HEAD, Role.CLAIMS_SUPERVISOR}),
    "claims.override": frozenset({Role.OFFICE_HEAD}),
    # A visit to the hospital (查勘): the office's staff, or the agent point it entrusted.
    "claims.inspect": frozenset(
        {Role.CLAIMS_OFFICER, Role.CLAIMS_SUPERVISOR, Role.COMPLIANCE, Role.OFFICE_HEAD, Role.COUNTY_AGENT}
    ),
    # Re-checks of the paid claims of the offices below (理赔回头看).
    "claims.recheck": frozenset({Role.CLAIMS_SUPERVISOR, Role.COMPLIANCE, Role.OFFICE_HEAD, Role.AUDITOR}),
}

# Whoever holds one of these logs in with a second factor.
APPROVALS = (
    "claims.review_first",
    "claims.review_second",
    "claims.review_final",
    "claims.review_leader",
    "claims.override",
    "claims.pay",
)
