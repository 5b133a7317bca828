"""Writes of finance, one module per workflow: the ledger's primitives (ledger), premiums,
remittances up the tree, payments approved in layers, the subscribers to claims' batches, bank
reconciliation and budgets. Import the workflow module; nothing is re-exported here."""
