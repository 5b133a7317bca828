# The two commands of the README. Everything else they need, they install themselves.
.PHONY: demo test lint bench stop

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh $(ARGS)

# mypy's Django plugin loads the settings, which need a database address (none is connected to).
lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports \
		&& DATABASE_URL=$${DATABASE_URL:-postgres://localhost/mutualaid} DEBUG=1 .venv/bin/mypy

# Enrollment benchmark: a 100,000-row list against 5,000,000 enrollments (README, "Speed").
bench:
	@scripts/bootstrap.sh && .venv/bin/python bench/enrollment_bench.py $(ARGS)

# The private PostgreSQL and Redis under .local/ keep running between commands; this ends them.
stop:
	@.venv/bin/python -m config.devservices stop
