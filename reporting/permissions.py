"""What each role may do in reporting (registered with mutualaid.roles when the app loads)."""

from mutualaid.roles import STAFF_ROLES, Role

# The overview, the monthly snapshots that go up the tree, targets.
PERMISSIONS = {
    "reporting.view": STAFF_ROLES | {Role.API_CLIENT},
    "reporting.rollup": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD}),
    "reporting.targets": frozenset({Role.OFFICE_HEAD}),
    # Drafting a plan's next period and simulating it; adopting one also needs plans.manage.
    "reporting.proposals": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD, Role.API_CLIENT}),
    # The ledger of audit findings and their rectification, and the pack for an audit of a
    # leader leaving office: read by the office's staff, recorded and verified by those who audit.
    "oversight.view": STAFF_ROLES,
    "oversight.record": frozenset({Role.AUDITOR, Role.COMPLIANCE, Role.OFFICE_HEAD, Role.LEADER}),
    # Filing the year's papers into numbered volumes, and the register of documents exchanged.
    "archives.manage": frozenset({Role.OFFICE_HEAD, Role.COUNTY_AGENT, Role.COMPLIANCE, Role.FINANCE_HEAD}),
}
