# The two commands of the README. Everything else they need, they install themselves.
.PHONY: demo test lint

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh $(ARGS)

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
