"""What each role may do in enrollment (registered with mutualaid.roles when the app loads)."""

from mutualaid.roles import EVERY_HUMAN_ROLE, Role

PERMISSIONS = {
    # Plans and their periods, member lists, policies.
    "plans.manage": frozenset({Role.OFFICE_HEAD}),
    "enrollment.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "enrollment.upload": frozenset({Role.UNIT_AGENT, Role.COUNTY_AGENT, Role.OFFICE_HEAD, Role.API_CLIENT}),
    "enrollment.approve": frozenset({Role.OFFICE_HEAD}),
    "enrollment.cancel": frozenset({Role.OFFICE_HEAD, Role.COUNTY_AGENT, Role.UNIT_AGENT}),
}

# Approving a member list issues a policy: its role is granted by two people, as approvals are.
DECIDING = ("enrollment.approve",)
