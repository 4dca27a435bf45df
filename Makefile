# The two commands: `make run` and `make test`. Everything else is a helper.
.PHONY: run test stop lint bench

run:
	@scripts/dev.sh run

test:
	@scripts/dev.sh test $(PYTEST_ARGS)

stop:
	@scripts/dev.sh stop

lint:
	.venv/bin/ruff check app tests bench scripts migrations
	.venv/bin/ruff format --check app tests bench scripts migrations
	.venv/bin/lint-imports

# BENCH=ogc|load|restart|cold|cli runs one benchmark (default: ogc, then load)
bench:
	@BENCH=$(BENCH) scripts/dev.sh bench $(BENCH_ARGS)
