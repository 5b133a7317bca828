"""Bank reconciliation pages (being written)."""

urlpatterns: list = []
