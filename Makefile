# portal-audit: every install step lives here (CI runs `make test` on a clean clone).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# dnsmasq serves the DNS zone of the IPv6 tests (Debian's dnsmasq-base: the binary, no service).
system-deps:
	@command -v dnsmasq >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dnsmasq-base >/dev/null; }

demo: install
	$(BIN)/portal-audit demo -c config.yaml -o out/demo

test: install system-deps
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) out .portal-audit .pytest_cache *.egg-info
