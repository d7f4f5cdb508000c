# Visual Forensics task runner. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Python 3.12 = the Lambda runtime. Found on PATH, else in pyenv's versions.
PYTHON312 ?= $(shell for p in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | sort -V | tail -1); do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
OUT ?= out
# AWS SAM CLI in a venv of its own (tools/sam/requirements.txt): its exact pins would hold the
# project's lock behind the latest releases; linked as $(BIN)/sam. `sam build` runs with $(BIN) on
# PATH for python3.12.
SAM_VENV := $(VENV)/sam
SAM := PATH="$(CURDIR)/$(BIN):$$PATH" $(SAM_VENV)/bin/sam

.PHONY: browser setup demo test test-fast build lint generate lock clean bench peers train-model gather-ai
setup: $(VENV)/.installed $(SAM_VENV)/.installed

$(VENV)/.installed: requirements.txt layers/vforensics/requirements.txt layers/vforensics/pyproject.toml
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it (e.g. pyenv install 3.12) or set PYTHON312=/path/to/python3.12" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON312) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps -e layers/vforensics
	touch $@

$(SAM_VENV)/.installed: tools/sam/requirements.txt | $(VENV)/.installed
	rm -rf $(SAM_VENV) && $(PYTHON312) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -qq --disable-pip-version-check -r $<
	ln -sf ../sam/bin/sam $(BIN)/sam  # so that `source .venv/bin/activate; sam build` works
	touch $@

demo: setup
	$(BIN)/vforensics analyze samples/iphone4.jpg --out $(OUT)

test: setup browser
	$(BIN)/pytest

# Debian's Chromium, for the tests that load a page in a real browser (the API's Swagger UI):
# installed when missing and apt-get can (root); otherwise those tests skip, unless
# VF_REQUIRE_BROWSER=1 (as .ci/run sets) makes them fail.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; }; } || \
		echo "chromium is not installed: the browser tests will skip (apt-get install chromium)" >&2

# The inner loop (under a minute): everything but the tests marked slow (pipeline runs, sam build, mypy).
test-fast: setup
	$(BIN)/pytest -m "not slow"

build: setup
	$(SAM) build

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	PYTHONPATH=layers/vforensics $(BIN)/lint-imports
	MYPYPATH=layers/vforensics $(BIN)/mypy
	for handler in functions/*/app.py; do MYPYPATH=layers/vforensics $(BIN)/mypy $$handler || exit 1; done
	$(BIN)/python tools/generate_deployment.py --check
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint

# Rewrite the state machine's Analyze state, template.yaml's analyzer blocks and events/ from
# the analyzer registry (layers/vforensics/vforensics/analyzers/registry.py).
generate: setup
	$(BIN)/python tools/generate_deployment.py
	$(BIN)/python tools/write_openapi.py

# Regenerate docs/BENCHMARKS.md from ../shared/bench (heavy: about half an hour on 2 cores).
bench: setup
	$(BIN)/python -m vforensics.evaluation.benchmarks

# Bring the AI and real images that ../shared/bench/ai/SOURCES.csv lists into ../ai-sources
# (VF_AI_SOURCES; needs git and GitHub). The detector's training and its benchmark read them.
gather-ai:
	bash tools/gather_ai_sources.sh

# Retrain the AI-image detector (functions/model/ai_detector.onnx + .json) by leave-one-family-out
# from ../shared/bench and the gathered sources (make gather-ai): 25-32 minutes on 2 CPU cores.
# torch lives in its own venv (Python 3.11, the CPU build).
TRAIN_PYTHON ?= python3.11
train-model:
	test -x .venv-train/bin/python || $(TRAIN_PYTHON) -m venv .venv-train
	.venv-train/bin/pip install -qq --disable-pip-version-check -r training/ai_model/requirements.txt
	.venv-train/bin/python training/ai_model/train.py

# The peer tools (pyIFD in its own numpy<2 venv, ExifTool) that the benchmarks compare against.
peers:
	bash tools/peers/setup.sh

# Re-resolve requirements.in into the fully pinned requirements.txt, and the SAM CLI's venv from
# its aws-sam-cli pin (SAM_CLI=1.x.y to move it) into tools/sam/requirements.txt (needs the network).
SAM_CLI ?= $(shell sed -n 's/^aws-sam-cli==//p' tools/sam/requirements.txt)
lock:
	rm -rf /tmp/vf-lock && $(PYTHON312) -m venv /tmp/vf-lock
	/tmp/vf-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Fully pinned development environment (Python 3.12). Regenerate with: make lock"; \
	  /tmp/vf-lock/bin/pip freeze | grep -v '^-e'; } > requirements.txt
	rm -rf /tmp/vf-lock-sam && $(PYTHON312) -m venv /tmp/vf-lock-sam
	/tmp/vf-lock-sam/bin/pip install --quiet aws-sam-cli==$(SAM_CLI)
	{ sed -n '/^#/p' tools/sam/requirements.txt; /tmp/vf-lock-sam/bin/pip freeze; } > tools/sam/requirements.txt.new
	mv tools/sam/requirements.txt.new tools/sam/requirements.txt

# Security audit (docs/SECURITY.md, "Dependency audit"): checkov on template.yaml with the skip
# list in .checkov.yaml, then pip-audit of every pinned requirements file against PyPI's
# vulnerability data (--strict: a dependency it could not look up fails the audit). Each tool in
# its own venv under .venv/audit, pinned by audit/requirements-*.txt (checkov pins packages the
# project's lock does not want). Needs the network to the package index; no AWS account.
.PHONY: audit audit-template audit-deps audit-deps-osv
AUDIT_VENVS := $(VENV)/audit
AUDITED_REQUIREMENTS := requirements.txt layers/vforensics/requirements.txt \
	layers/vforensics/requirements-tracing.txt layers/c2pa/requirements.txt functions/model/requirements.txt \
	functions/api/requirements.txt tools/sam/requirements.txt
audit: audit-template audit-deps

$(AUDIT_VENVS)/%/.installed: audit/requirements-%.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: set PYTHON312=/path/to/python3.12" >&2; exit 1; }
	rm -rf $(AUDIT_VENVS)/$* && $(PYTHON312) -m venv $(AUDIT_VENVS)/$*
	$(AUDIT_VENVS)/$*/bin/pip install -qq --disable-pip-version-check -r $<
	touch $@

audit-template: $(AUDIT_VENVS)/checkov/.installed
	$(AUDIT_VENVS)/checkov/bin/checkov --config-file .checkov.yaml

# Where PyPI's per-release JSON (the vulnerability data pip-audit reads) cannot be reached, pip-audit
# is NOT PERFORMED and tools/audit_pins.py audits what PyPI's project JSON still allows: every pin
# at its project's latest release (an advisory or a failed lookup fails the audit). The pins behind
# it stay unaudited, which fails the audit only with AUDIT_DEPS_REQUIRED=1, as does no PyPI at all.
# Where the per-release JSON can be reached, pip-audit --strict fails on any known vulnerability
# and on any dependency it could not look up.
# Advisories accepted on one pin, with the reason, are in audit/accepted-advisories.txt.
VULNERABILITY_PROBE := https://pypi.org/pypi/pip/25.0/json
ACCEPTED_ADVISORIES := audit/accepted-advisories.txt
audit-deps: $(AUDIT_VENVS)/pip-audit/.installed
	@if $(AUDIT_VENVS)/pip-audit/bin/python -c "import urllib.request; urllib.request.urlopen('$(VULNERABILITY_PROBE)', timeout=15)" 2>/dev/null; then \
		$(AUDIT_VENVS)/pip-audit/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
			$(addprefix --ignore-vuln ,$(shell sed -n 's/^\([A-Z][A-Z0-9-]*\) .*/\1/p' $(ACCEPTED_ADVISORIES))) \
			$(addprefix -r ,$(AUDITED_REQUIREMENTS)); \
	else \
		echo "pip-audit NOT PERFORMED: $(VULNERABILITY_PROBE) cannot be reached; auditing the pins at their latest release instead (docs/SECURITY.md)" >&2; \
		rc=0; $(AUDIT_VENVS)/pip-audit/bin/python tools/audit_pins.py --accept $(ACCEPTED_ADVISORIES) $(AUDITED_REQUIREMENTS) || rc=$$?; \
		if [ $$rc -eq 1 ]; then exit 1; fi; \
		if [ $$rc -ne 0 ]; then echo "DEPENDENCY AUDIT PARTIAL: the pins listed NOT AUDITED were not checked" >&2; test -z "$(AUDIT_DEPS_REQUIRED)"; fi; \
	fi

# Every pin, those behind the latest release too, against a folder of OSV advisories: the vulns/ folder
# of a checkout of PyPA's advisory database (PyPI's own data), for machines where pip-audit cannot run.
#   make audit-deps-osv ADVISORY_DB=/path/to/advisory-database/vulns
audit-deps-osv: $(VENV)/.installed
	@test -d "$(ADVISORY_DB)" || { echo "set ADVISORY_DB to a folder of OSV advisories (docs/SECURITY.md)" >&2; exit 2; }
	$(BIN)/python tools/audit_pins.py --osv $(ADVISORY_DB) --accept $(ACCEPTED_ADVISORIES) $(AUDITED_REQUIREMENTS)

clean:
	rm -rf $(VENV) .venv-train .aws-sam $(OUT) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# issue 21: the malformed-input corpus, the parsers' property tests and the fuzz targets.
.PHONY: corpus test-corpus fuzz fuzz-smoke
CORPUS_OUT ?= $(OUT)/malformed-corpus
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= sniff exif xmp iptc icc png c2pa jpeg_segments structure
FUZZ_WORK ?= $(CURDIR)/$(OUT)/fuzz

# Write the generated corpus (seeded, the same bytes every time) and its manifest.json.
corpus: setup
	$(BIN)/python tools/malformed_corpus.py $(CORPUS_OUT)

# The corpus through analyze / metadata / compare, and the parsers' property tests (~6 min on 2 cores).
test-corpus: setup
	$(BIN)/pytest tests/pipeline/test_malformed_corpus.py tests/unit/test_parser_properties.py

# Every fuzz target for FUZZ_SECONDS each (default 600: 1.5 hours in all); corpora, crash-*,
# timeout-* and slow-unit-* files stay in $(FUZZ_WORK)/<target>/, the logs in $(FUZZ_WORK)/<target>.log. One target: FUZZ_TARGETS=xmp.
fuzz: setup
	mkdir -p $(FUZZ_WORK)
	for t in $(FUZZ_TARGETS); do \
	  VF_FUZZ_WORK=$(FUZZ_WORK) $(BIN)/python tools/fuzz/fuzz_$$t.py -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1 2>&1 | tee $(FUZZ_WORK)/$$t.log \
	    | grep -E '^#[0-9]+ +(INITED|DONE)|^stat::|ERROR|Traceback'; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# What CI runs of the fuzzers: every target for a bounded time (tests/unit/test_fuzz_smoke.py, ~2.5 min).
fuzz-smoke: setup
	$(BIN)/pytest tests/unit/test_fuzz_smoke.py
