"""The finance API (being written)."""

api_urls: list = []
