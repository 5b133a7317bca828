"""Reads of finance, in the caller's scope, one module per topic: the books, premiums collected,
remittances, payments, bank reconciliation and budgets. Import the topic module; nothing is
re-exported here."""
