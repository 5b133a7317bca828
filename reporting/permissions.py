"""What each role may do in reporting (registered with mutualaid.roles when the app loads)."""

from mutualaid.roles import STAFF_ROLES, Role

# The overview, the monthly snapshots that go up the tree, targets.
PERMISSIONS = {
    "reporting.view": STAFF_ROLES | {Role.API_CLIENT},
    "reporting.rollup": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD}),
    "reporting.targets": frozenset({Role.OFFICE_HEAD}),
    # Drafting a plan's next period and simulating it; adopting one also needs plans.manage.
    "reporting.proposals": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD, Role.API_CLIENT}),
}
