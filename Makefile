# zhengce — the two set-up commands are `make demo` and `make test`.
# Everything installs into .venv; nothing here needs the internet except the package registries.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DB     ?= data/zhengce.db
DEMO_DB ?= data/demo.db
DEMO_N ?= 600
SITES  ?= govcn,ndrc,miit,sasac,mofcom
PYTEST_ARGS ?=

export PYTHONHASHSEED = 0

.PHONY: install sysdeps test demo crawl topics export bench browse companions clean help

help:
	@echo "make demo      install, build the offline demo corpus, run the pipeline, print the report path"
	@echo "make test      install and run the test suite"
	@echo "make crawl     crawl the real sites (SITES=govcn,ndrc,... DB=data/zhengce.db)"
	@echo "make topics    segment, fit topic models and strategy labels on DB (default: the demo db)"
	@echo "make export    export DB as Parquet + codebook + datapackage.json into out/export"
	@echo "make bench     run the benchmark suite (prints tables, writes out/bench/*.json)"
	@echo "make browse    open the corpus in Datasette"
	@echo "make companions run the three companion analyses on their bundled samples"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# System packages some tests and the report need: a CJK font (figures), Chromium (browser
# tests), redis-server (distributed crawl test). Installed with apt when we are root; otherwise
# printed as a hint (those tests then skip with the reason, except under CI=true).
sysdeps:
	@bash tests/sysdeps.sh

# lint-imports: the layer contracts in pyproject.toml (no upward imports, no cycles between layers)
test: install sysdeps
	$(BIN)/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	$(BIN)/zhengce demo-corpus data/demo-src -n $(DEMO_N)
	$(BIN)/zhengce crawl demo --db $(DEMO_DB) -n $(DEMO_N) --no-progress
	$(BIN)/zhengce stats --db $(DEMO_DB)
	$(BIN)/zhengce topics run --db $(DEMO_DB) --out out/topics
	$(MAKE) --no-print-directory companions
	$(BIN)/zhengce report --db $(DEMO_DB) --out out/report

crawl: install
	$(BIN)/zhengce crawl --sites $(SITES) --db $(DB)

# Default: the demo corpus; `make topics DB=data/zhengce.db` (or TOPICS_DB=...) for another database.
ifeq ($(origin DB),command line)
TOPICS_DB ?= $(DB)
else
TOPICS_DB ?= $(DEMO_DB)
endif
topics: install
	$(BIN)/zhengce topics run --db $(TOPICS_DB) --out out/topics
	$(BIN)/zhengce report --db $(TOPICS_DB) --out out/report

export: install
	$(BIN)/zhengce export --out out/export --format parquet --force --db $(DB) --datasette out/export/metadata.json

bench: install
	$(PY) tests/bench/run_all.py

browse: install
	$(BIN)/zhengce browse --db $(DB)

companions: install
	$(BIN)/zhengce malmquist --out out/malmquist --db $(DEMO_DB)
	$(BIN)/zhengce bank-entry --out out/bank_entry --db $(DEMO_DB)
	$(BIN)/zhengce coup paper --out out/coup/paper --db $(DEMO_DB)

clean:
	rm -rf out data/demo-src $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
