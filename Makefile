# Day-to-day shortcuts; the README's two commands (scripts/studio, scripts/test) do the set-up.
.PHONY: run test test-fast lint format worker scheduler migrate bench

run:
	scripts/studio

test:
	scripts/test

test-fast:
	.venv/bin/pytest -q -n 2 -m "not browser"

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

worker:
	.venv/bin/flask --app app worker

scheduler:
	.venv/bin/flask --app app scheduler

migrate:
	.venv/bin/flask --app app db upgrade heads

bench:
	for b in bench/bench_*.py; do echo "== $$b"; .venv/bin/python $$b; done
