ARGS ?=

.PHONY: run test test-quarantine lint bench-scheduling

run:
	scripts/run.sh

test:
	scripts/test.sh $(ARGS)

test-quarantine:
	RUN_QUARANTINED=1 scripts/test.sh -m quarantine -s -p no:logging $(ARGS)

lint:
	.venv/bin/ruff check .

bench-scheduling:
	cd bench && ../.venv/bin/python materialize_year.py && ../.venv/bin/python registration_contention.py
