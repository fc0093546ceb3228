# Developer entry points for hoa-nhap. `make` alone lists the targets.
PY := python3
UV := $(PY) -m uv
VENV_PY := .venv/bin/python
PYTEST_ARGS ?=
AUDIT_EVENTS ?= 1000000
SCALE_SIZES ?= 200000,1000000
SCALE_ARGS ?=
METHADONE_SIZES ?= 2000000,20000000
METHADONE_ARGS ?=
LOAD_PEOPLE ?= 1000000
FIGURES_SIZES ?= 200000,1000000
IMPORT_ROWS ?= 100000
FIGURES_ARGS ?=
LOAD_ARGS ?=
CHAIN_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test lint audit-deps messages bench bench-scale bench-methadone bench-load bench-chain bench-figures bench-units bench-imports screens mutation mutation-smoke

help:
	@echo "Targets:"
	@echo "  venv      create/refresh .venv from uv.lock (uv sync --frozen)"
	@echo "  run       migrate, seed demo data, serve on http://127.0.0.1:8000 with the task worker"
	@echo "  test      run pytest against a throwaway PostgreSQL (PYTEST_ARGS=...)"
	@echo "  lint      ruff check, ruff format --check, lint-imports, mypy, bandit, makemigrations --check"
	@echo "  audit-deps  pip-audit on uv.lock's packages (needs the vulnerability service)"
	@echo "  messages  update vi/en translation catalogs (needs gettext)"
	@echo "  bench     run the benchmarks against a throwaway PostgreSQL"
	@echo "  bench-scale  issue 10 at national scale (SCALE_SIZES=200000,1000000); not in CI"
	@echo "  bench-methadone  issue 14's dose table (METHADONE_SIZES=2000000,20000000); not in CI"
	@echo "  bench-load  issue 26: gunicorn + 64 signed-in sessions (LOAD_PEOPLE=1000000, LOAD_ARGS=...); not in CI"
	@echo "  bench-chain  issue 26: the audit chain under 1-64 concurrent writers (CHAIN_ARGS=...); not in CI"
	@echo "  bench-imports  issue 27: import and export a register file of IMPORT_ROWS rows (time, peak memory); not in CI"
	@echo "  bench-figures  issue 25's coverage figures, dashboard and report (FIGURES_SIZES=200000,1000000); not in CI"
	@echo "  bench-units  issue 30: load_units and reorganise_units on the national lists (HOA_NHAP_UNITS_DATA); not in CI"
	@echo "  screens   regenerate the 360 px screenshots in docs/screens/ (browser tests)"
	@echo "  mutation  mutate cases/access/ and run the access tests (mutmut; slow, not in CI)"
	@echo "  mutation-smoke  one access rule's mutants, all must be killed (CI runs it)"

venv:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	$(UV) sync --frozen

run: venv
	export HOA_NHAP_DEMO=1; \
	$(VENV_PY) manage.py migrate --noinput && \
	$(VENV_PY) manage.py seed_demo && \
	scripts/serve-with-worker $(VENV_PY) 127.0.0.1:8000

test:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	HOA_NHAP_DEMO=1 .venv/bin/mypy .
	.venv/bin/bandit -c pyproject.toml -r . -q
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py makemigrations --check --dry-run

# Exits 2 and says "COULD NOT CHECK" when the vulnerability service cannot be reached.
audit-deps: venv
	@mkdir -p var
	$(UV) export --frozen --no-hashes --no-emit-project --format requirements-txt --quiet \
		--output-file var/requirements-locked.txt
	$(VENV_PY) scripts/audit_deps.py var/requirements-locked.txt

messages:
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=var --ignore=mutants --ignore=node_modules --no-location --no-obsolete
	HOA_NHAP_DEMO=1 $(VENV_PY) manage.py compilemessages --ignore=.venv

bench:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.audit $(AUDIT_EVENTS)

bench-scale:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.scale --sizes $(SCALE_SIZES) $(SCALE_ARGS)

bench-methadone:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.methadone --sizes $(METHADONE_SIZES) $(METHADONE_ARGS)

# Issue 26's load test: a generated dataset, gunicorn on loopback, 64 signed-in sessions.
# python -m bench.load --help lists LOAD_ARGS (--sessions, --duration, --budget, --think, ...).
bench-load:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.load --people $(LOAD_PEOPLE) $(LOAD_ARGS)

bench-chain:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.audit_concurrency $(CHAIN_ARGS)

# Issue 25's coverage figures: python -m bench.figures --help lists FIGURES_ARGS.
bench-figures:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.figures --sizes $(FIGURES_SIZES) $(FIGURES_ARGS)

bench-units:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.units

bench-imports:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/with-postgres $(VENV_PY) -m bench.imports --rows $(IMPORT_ROWS) $(IMPORT_ARGS)

screens:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 HOA_NHAP_SCREENS_DIR=docs/screens scripts/with-postgres \
		.venv/bin/pytest -q tests/browser/test_everyday_use.py tests/browser/test_case_page_services.py \
		tests/browser/test_episode_journey.py tests/browser/test_referral_journey.py \
		tests/browser/test_methadone_today.py tests/browser/test_methadone_dosing_rules.py \
		tests/browser/test_methadone_figures.py tests/browser/test_assist_screening.py \
		tests/browser/test_duplicate_warning.py tests/browser/test_phone_layout.py \
		tests/browser/test_edit_conflict.py tests/browser/test_postrehab_checkin.py \
		tests/browser/test_dosing_a11y.py tests/browser/test_my_work_sections.py \
		tests/browser/test_figures_dashboard.py tests/browser/test_figures_report_file.py \
		tests/browser/test_contact_note.py tests/browser/test_appointments_and_summary.py \
		tests/browser/test_facility_registry.py \
		tests/browser/test_moves.py

# Every mutant of the access rules must turn an access test red (docs/architecture.md).
# The mutants share one test database (--reuse-db), so they run one at a time. MUTANTS
# narrows the run to some functions, e.g. MUTANTS='cases.access.rules.x__case_rule__*'.
MUTANTS ?=
mutation:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	rm -rf mutants
	HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/mutmut run --max-children 1 $(MUTANTS)
	.venv/bin/mutmut results --all true

# CI's smoke run: the mutants of one rule (_person_rule) must all be killed.
mutation-smoke:
	scripts/ensure-system-deps
	$(MAKE) --no-print-directory venv
	HOA_NHAP_DEMO=1 scripts/mutation-smoke
