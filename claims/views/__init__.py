"""Thin HTML views of claims over their services and selectors, one module per area: claims
(the list, registration, a claim's page and what is done on it, the risk list), office (the
deadlines and the claims settings), schedule (the benefit schedules and their editor), batch (the
payment batches). urls.py names each view; this file exports nothing."""
