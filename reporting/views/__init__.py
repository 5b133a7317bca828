"""Thin HTML views of reporting, one module per page family; the URLs are all in
reporting/urls.py. Nothing is re-exported here."""
