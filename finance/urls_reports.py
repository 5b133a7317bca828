"""Statements, balances and budget pages (being written)."""

urlpatterns: list = []
