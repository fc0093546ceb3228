# Developer entry points for hoa-nhap. `make` alone lists the targets.
PY := python3
UV := $(PY) -m uv
VENV_PY := .venv/bin/python
PYTEST_ARGS ?=
AUDIT_EVENTS ?= 1000000

.DEFAULT_GOAL := help
.PHONY: help venv run test lint messages bench mutation

help:
	@echo "Targets:"
	@echo "  venv      create/refresh .venv from uv.lock (uv sync --frozen)"
	@echo "  run       migrate, seed demo data and serve on http://127.0.0.1:8000"
	@echo "  test      run pytest against a throwaway PostgreSQL (PYTEST_ARGS=...)"
	@echo "  lint      ruff check, ruff format --check, mypy, makemigrations --check"
	@echo "  messages  update vi/en translation catalogs (needs gettext)"
	@echo "  bench     run the benchmarks against a throwaway PostgreSQL"
	@echo "  mutation  mutate cases/access.py and run the access tests (mutmut; slow, not in CI)"

venv:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	$(UV) sync --frozen

run: venv
	export HOA_NHAP_DEMO=1; \
	$(VENV_PY) manage.py migrate --noinput && \
	$(VENV_PY) manage.py seed_demo && \
	$(VENV_PY) manage.py runserver 127.0.0.1:8000

test:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	HOA_NHAP_DEMO=1 .venv/bin/mypy .
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py makemigrations --check --dry-run

messages:
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=var --no-location --no-obsolete
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py compilemessages --ignore=.venv

bench:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.audit $(AUDIT_EVENTS)

# Every mutant of the access rules must turn an access test red (docs/architecture.md).
# The mutants share one test database (--reuse-db), so they run one at a time. MUTANTS
# narrows the run to some functions, e.g. MUTANTS='cases.access.x__case_rule__*'.
MUTANTS ?=
mutation:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	rm -rf mutants
	HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/mutmut run --max-children 1 $(MUTANTS)
	.venv/bin/mutmut results --all true
