"""What each role may do in finance (registered with mutualaid.roles when the app loads)."""

from mutualaid.roles import Role

# The dedicated account's books, remittances up the tree, layered payment approval (prepared by
# one person, approved by three others), budgets and bank reconciliation.
PERMISSIONS = {
    "finance.view": frozenset(
        {Role.FINANCE_OFFICER, Role.FINANCE_HEAD, Role.OFFICE_HEAD, Role.LEADER, Role.AUDITOR, Role.COUNTY_AGENT}
    )
    | {Role.API_CLIENT},
    "finance.post": frozenset({Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "finance.remit": frozenset({Role.COUNTY_AGENT, Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "finance.prepare": frozenset({Role.FINANCE_OFFICER}),
    # Asking the office that pools a plan for an allocation (划拨), and confirming it arrived: the
    # part-time agent point does it itself, as it remits premium up.
    "finance.ask_allocation": frozenset({Role.FINANCE_OFFICER, Role.COUNTY_AGENT}),
    "finance.approve_office": frozenset({Role.OFFICE_HEAD}),
    "finance.approve_finance": frozenset({Role.FINANCE_HEAD}),
    "finance.approve_leader": frozenset({Role.LEADER}),
    "finance.configure": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD}),
    # Approving and publishing the fund's statement to members (公示); drafting is finance.post.
    "finance.publish": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD, Role.LEADER}),
}

# Whoever holds one of these logs in with a second factor.
APPROVALS = ("finance.prepare", "finance.approve_office", "finance.approve_finance", "finance.approve_leader")
