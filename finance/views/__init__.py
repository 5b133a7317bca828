"""Thin HTML views of finance over its services and selectors, one module per page family; the
URLs are all in finance/urls.py. Nothing is re-exported here."""
