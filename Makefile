ARGS ?=

.PHONY: run test lint bench-scheduling

run:
	scripts/run.sh

test:
	scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check .

bench-scheduling:
	cd bench && ../.venv/bin/python materialize_year.py && ../.venv/bin/python registration_contention.py
