# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
CARGO ?= cargo
# A fresh clone builds once: incremental caches would only double the disk it needs.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif

.PHONY: build-variants soak fuzz fuzz-check package package-test run test bench lint style deny bench-build unit e2e e2e-calls conformance app-test app window-smoke setup-test fmt clean

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

## Every test: format, the supply-chain gate, unit, end-to-end scenarios, the app window.
## Clippy runs inside the builds: clippy-driver compiles the workspace's own crates (cargo
## hands dependencies to plain rustc), so with -D warnings every build below is also
## `cargo clippy --all-targets`, with no separate check pass over the dependencies. Measured
## in a clean clone, this saves about 2 minutes, not the 17 the separate clippy step took: most
## of that step was proc-macros and build scripts, which the builds need anyway.
test: export RUSTC_WORKSPACE_WRAPPER := clippy-driver
test: export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
test:
	@MAKE="$(MAKE)" scripts/steps.sh setup-test style build-variants deny unit fuzz-check e2e-calls app-test bench-build conformance package-test

setup-test:
	@scripts/setup.sh test

## Clippy on its own (make test lints inside its builds instead), then the style checks.
lint: style
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

style:
	$(CARGO) fmt --all --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	tests/ui-types/node_modules/.bin/tsc -p ui

## No workspace crate compiled twice across make test's builds (docs/decisions.md §20): a
## feature that only one build turns on costs every CI run minutes. Reads unit graphs only.
build-variants:
	scripts/build-variants.py

## cargo deny (deny.toml: advisories, bans, licenses, sources) and npm audit of the test tools.
deny:
	scripts/deny.sh

## The benchmarks compile (and, inside make test, pass clippy); make bench runs them.
bench-build:
	$(CARGO) test --locked -p dialtone-e2e --benches --no-run

unit:
	$(CARGO) test --locked -p dialtone-call -p dialtone-wire -p dialtone-core -p dialtone-sandbox -p dialtone-report -p dialtone-phone

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
## The window's scenarios build the app binary they drive (with the test build's features),
## and the smoke screenshot runs that same binary: no separate `cargo build` of it.
app-test:
	scripts/with-pulse.sh scripts/with-desktop.sh $(CARGO) test --locked -p dialtone-app -- --test-threads 1
	scripts/window-smoke.sh target/debug/dialtone-app target/dialtone-window.png

## The fuzz targets (fuzz/README.md): each for FUZZ_SECONDS, new inputs kept in
## target/fuzz-corpus/. FUZZ_RUNS=N runs each to N executions instead.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/setup.sh fuzz
	@if [ -n "$(FUZZ_RUNS)" ]; then scripts/fuzz.sh runs $(FUZZ_RUNS); else scripts/fuzz.sh time $(FUZZ_SECONDS); fi

## In make test: every target builds and runs a few seconds from the committed seeds.
fuzz-check:
	scripts/fuzz.sh time 3

## The .deb (Tauri's bundler; packaging/README.md): target/release/bundle/deb/.
## PROFILE=debug builds it from the debug binaries, as make test does.
PROFILE ?= release
package:
	@scripts/setup.sh app
	scripts/package.sh $(PROFILE)

## The package scenario: apt installs the debug .deb here, the handler registration, the
## installed CLI's preflight call and the installed window are checked, then dpkg -r removes it.
package-test:
	deb=$$(scripts/package.sh debug) && scripts/package-test.sh "$$deb"

## Benchmarks: medians over repeated runs, printed (never asserted).
## The soak, not in make test (tests/benches/soak.rs): 1000 hold/resume cycles against
## Chromium, 200 calls in one CLI process, 50 in the app, 100 at once on the sandbox. Prints
## memory, descriptors, threads, tasks and CPU; fails on a dropped call or growth beyond
## noise. About 15 minutes; SOAK="hold cli" runs only those parts. The builds make test uses.
soak:
	@scripts/setup.sh test
	$(CARGO) build --locked -p dialtone-cli -p dialtone-app
	scripts/with-pulse.sh scripts/with-desktop.sh $(CARGO) test --locked -p dialtone-e2e --bench soak -- $(SOAK)

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
