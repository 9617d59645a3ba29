# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
CARGO ?= cargo
# A fresh clone builds once: incremental caches would only double the disk it needs.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif

.PHONY: run test bench lint unit e2e e2e-calls conformance app-test app window-smoke setup-test fmt clean

## Open the app window (under Xvfb when there is no display).
run:
	@scripts/setup.sh app
	$(CARGO) build -p dialtone-app
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		exec target/debug/dialtone-app; \
	else \
		echo "No display: running the window under Xvfb (screenshot: target/dialtone-window.png)"; \
		scripts/window-smoke.sh target/debug/dialtone-app target/dialtone-window.png; \
	fi

## Every test: format, lints, unit, end-to-end scenarios, and the app window.
test: setup-test lint unit e2e conformance

setup-test:
	@scripts/setup.sh test

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	tests/ui-types/node_modules/.bin/tsc -p ui

unit:
	$(CARGO) test --locked -p dialtone-call -p dialtone-core -p dialtone-sandbox -p dialtone-report -p dialtone-phone

## Every end-to-end scenario (tests/<area>/*.rs): the calls' and the CLI's, then the window's.
e2e: e2e-calls app-test

e2e-calls:
	$(CARGO) test --locked -p dialtone-e2e -p dialtone-cli

## Schemathesis against the sandbox: each CAMARA version's three APIs (no 5xx, responses in
## their schemas, no undocumented status). Reports in target/conformance/.
conformance:
	$(CARGO) build --locked -p dialtone-cli
	scripts/conformance.sh target/debug/dialtone

## The app: its commands on the mock runtime, then the window under WebDriver (tauri-driver,
## WebKitWebDriver) on Xvfb with its own D-Bus session and sound server. Screenshots of the
## idle, in-call, held and incoming states, and of both sizes: target/app-screenshots/.
app-test:
	$(CARGO) build --locked -p dialtone-app
	scripts/with-pulse.sh scripts/with-desktop.sh $(CARGO) test --locked -p dialtone-app -- --test-threads 1
	scripts/window-smoke.sh target/debug/dialtone-app target/dialtone-window.png

## Benchmarks: medians over repeated runs, printed (never asserted).
bench:
	@scripts/setup.sh bench
	$(CARGO) bench --locked -p dialtone-e2e --bench media
	$(CARGO) bench --locked -p dialtone-e2e --bench calls
	$(CARGO) bench --locked -p dialtone-e2e --bench audio
	$(CARGO) bench --locked -p dialtone-e2e --bench latency
	$(CARGO) bench --locked -p dialtone-e2e --bench voice
	$(CARGO) bench --locked -p dialtone-e2e --bench lex
	$(CARGO) bench --locked -p dialtone-e2e --bench pesq
	$(CARGO) bench --locked -p dialtone-e2e --bench codec_loss
	$(CARGO) bench --locked -p dialtone-e2e --bench lossy_setup
	$(CARGO) build --locked -p dialtone-app
	scripts/with-pulse.sh scripts/with-desktop.sh scripts/bench-app-memory.sh target/debug/dialtone-app 30

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
