"""Writes of claims, one module per workflow: schedules, registration (with figures and
documents), review, callback, payment, notifications, office settings; `_shared` holds the locks,
the numbering and the step records they all use, and `calculation` the payout and flags that
registration and review compute.

Every move of a claim happens under a row lock on the claim and only from the version the
reviewer saw, so of two reviewers acting at the same moment one wins and the other is told;
nothing is applied twice. The person who acted at one level of a claim (registration included)
may act at no other level of it. The way a claim moves is in claims/lifecycle.py.

Importers name the workflow module (`from claims.services.review import claim_review`); this
file exports nothing.
"""
