"""Writes of enrollment, one module per workflow: `plans` (plans and their periods),
`member_lists` (upload, check, submit, renewal lists), `approval` (the office approves or sends
back a list; approval issues the policy, or endorses the policy the unit already has),
`endorsements` (the endorsement (批单) of a supplementary list: its number, date and figures),
`enrollments` (one person: cancel, reveal the ID number), `cards` (printing a whole office's
member cards). Importers name the module
(`from enrollment.services.approval import member_list_approve`); this file exports nothing.

A list moves validating → invalid | valid → submitted → approved | rejected. Checking stores
the checked rows in a staging table in one transaction (nothing half-checked is ever kept);
approval turns the passing rows into enrollments and a policy (or an endorsement of it) in one
transaction, with one INSERT … SELECT that numbers the members after the policy's highest
number, under the database's one-active-enrollment and one-number-per-member constraints.
"""
