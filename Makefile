# portal-audit: every install step lives here (CI runs `make test` on a clean clone).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test bench bench-tools bench-race bench-cores bench-incremental \
        bench-province bench-memory typos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,scrapyd]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: dnsmasq serves the DNS zone of the IPv6 tests (dnsmasq-base:
# the binary, no service); LibreOffice Calc (headless) proves the ledger opens cleanly; the
# PostgreSQL server (initdb, pg_ctl under /usr/lib/postgresql/*/bin, not on PATH) runs the
# PostgreSQL store tests.
SYSTEM_PACKAGES := dnsmasq:dnsmasq-base soffice:libreoffice-calc-nogui

system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(BIN)/portal-audit demo -c config.yaml -o out/demo

test: install system-deps
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/run.py

# the scale benchmarks of issue 14 (bench/scale.py; measurements, never tests): smaller runs
# with e.g. `make bench-province SITES=100`, `make bench-cores PAGES=4000 REPEAT=3`
PAGES  ?= 20000
SITES  ?= 1000
SIZES  ?= 20000,100000
REPEAT ?= 3

bench-race: install   # linkinator and LinkChecker: `make bench-tools` once (skipped when missing)
	$(BIN)/python bench/scale.py race --pages $(PAGES)

bench-cores: install
	$(BIN)/python bench/scale.py cores --pages $(PAGES) --repeat $(REPEAT)

bench-incremental: install
	$(BIN)/python bench/scale.py incremental --pages $(PAGES)

bench-province: install system-deps
	$(BIN)/python bench/scale.py province --sites $(SITES)

bench-memory: install
	$(BIN)/python bench/scale.py memory --sizes $(SIZES)

# rebuild checks/data/typos.yaml from typos_curated.yaml (filtered with jieba and ../shared/seeds)
typos: install
	$(BIN)/python tools/build_typos.py

# the other crawlers of `bench/scale.py race`, kept out of the project's venv: linkinator (npm)
# and LinkChecker (pip, a venv of its own), both under bench/.tools/ (git-ignored); linkinator 6,
# since 8 needs a newer Node than Debian's 20
bench-tools:
	npm install --silent --prefix bench/.tools linkinator@6
	$(PYTHON) -m venv bench/.tools/venv && bench/.tools/venv/bin/pip install -q linkchecker

clean:
	rm -rf $(VENV) out .portal-audit .pytest_cache *.egg-info
