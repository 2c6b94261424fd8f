# Conveniences over scripts/ (the scripts are the source of truth; CI runs scripts/check).
.PHONY: check test lint fmt type bench
check:
	bash scripts/check
test:
	.venv/bin/python -m pytest
lint:
	.venv/bin/ruff check python tests benchmarks notebooks
fmt:
	.venv/bin/ruff format python tests benchmarks notebooks
type:
	.venv/bin/mypy
bench:
	.venv/bin/python benchmarks/startup_bench.py
