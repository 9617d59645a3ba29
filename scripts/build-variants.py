#!/usr/bin/env python3
"""How many compilation units `make test`'s cargo invocations build, and whether any
workspace library is compiled more than once (docs/decisions.md §19, §20).

Cargo resolves features per invocation: a feature one invocation turns on (a dev-dependency's,
a build script's) gives a crate, and every crate above it, a second build with its own hash.
This reads each invocation's unit graph (`cargo +nightly ... --unit-graph`: no compiling),
keys every unit by its package, target, mode, features, profile and its dependencies' keys,
and counts the distinct ones across all of them, as a clean `make test` builds them.

    scripts/build-variants.py          # exits 1 if a workspace library is built twice
    scripts/build-variants.py --list   # also names every unit built more than once

Keep INVOCATIONS in step with the Makefile (unit, e2e-calls, app-test, bench-build,
conformance) and scripts/package.sh (the CLI, then the app with custom-protocol).
"""

import collections
import json
import os
import subprocess
import sys

INVOCATIONS = [
    ["test", "-p", "dialtone-call", "-p", "dialtone-wire", "-p", "dialtone-core",
     "-p", "dialtone-sandbox", "-p", "dialtone-report", "-p", "dialtone-phone"],
    ["test", "-p", "dialtone-e2e", "-p", "dialtone-cli"],
    ["test", "-p", "dialtone-app"],
    ["test", "-p", "dialtone-e2e", "--benches"],
    ["build", "-p", "dialtone-cli"],
    ["build", "-p", "dialtone-app", "--features", "custom-protocol"],
]

# The app's Tauri is built twice on purpose: with its `test` feature for the window's
# scenarios, with `custom-protocol` for the package. Nothing else of ours should be.
TWICE_ON_PURPOSE = {"dialtone-app"}


def unit_graph(args):
    env = dict(os.environ, RUSTC_WORKSPACE_WRAPPER="clippy-driver")
    out = subprocess.run(
        ["cargo", "+nightly", *args, "--locked", "-Z", "unstable-options", "--unit-graph"],
        env=env, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        sys.exit(f"build-variants: cargo {' '.join(args)} --unit-graph failed:\n{out.stderr}")
    return json.loads(out.stdout)["units"]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    listing = "--list" in sys.argv[1:]
    seen = {}  # key -> (package@version, target, mode, whether it is a crate of ours)
    for args in INVOCATIONS:
        units = unit_graph(args)
        keys = {}

        def key(i):
            if i not in keys:
                u = units[i]
                deps = tuple(sorted(key(d["index"]) for d in u["dependencies"]))
                keys[i] = hash((u["pkg_id"], u["target"]["name"], tuple(u["target"]["kind"]),
                                u["mode"], tuple(u["features"]), u["profile"]["opt_level"],
                                u["platform"], deps))
                # Ids end in `#name@version`, or in `/dir#version` for a path crate named
                # after its directory.
                where, _, what = u["pkg_id"].rpartition("#")
                package = what if "@" in what else f"{where.rsplit('/', 1)[-1]}@{what}"
                ours = u["pkg_id"].startswith("path+")
                seen.setdefault(keys[i], (package, u["target"]["name"], u["mode"], ours))
            return keys[i]

        for i in range(len(units)):
            key(i)
    counts = collections.Counter(seen.values())
    repeated = {k: n for k, n in counts.items() if n > 1}
    print(f"build-variants: {len(seen)} distinct units, {sum(n - 1 for n in repeated.values())} "
          f"of them a repeat of a unit already built")
    ours = sorted(
        (k, n) for k, n in repeated.items()
        if k[3] and k[2] == "build" and k[0].split("@")[0] not in TWICE_ON_PURPOSE
    )
    if listing:
        for (package, target, mode, _), n in sorted(repeated.items(), key=lambda x: (-x[1], x[0])):
            print(f"  {n}x {package} {target} ({mode})")
    for (package, target, _, _), n in ours:
        print(f"build-variants: {package} ({target}) is built {n} times; --list names the rest, "
              "docs/decisions.md §20 says how to find the feature that splits it", file=sys.stderr)
    sys.exit(1 if ours else 0)


if __name__ == "__main__":
    main()
