#!/usr/bin/env bash
# A profile-guided (PGO) release build of nines, at target/pgo/release/nines.
#
# Builds an instrumented nines, runs it on every example scenario in scenarios/ (two
# trials each, a few seconds) to record which branches and calls are hot, and rebuilds
# with that profile. Request-level runs take about a tenth less time
# (docs/PERFORMANCE.md); the results are byte-identical to the plain release build's,
# which CI checks on the quickstart. Needs rustup's llvm-tools component, for
# llvm-profdata (added here; the first time, from the network). Exit status 3: that
# tool could not be had, nothing was built.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component add llvm-tools >/dev/null 2>&1 || true
profdata=$(find "$(rustc --print sysroot)" -name llvm-profdata -type f | head -n 1)
if [ -z "$profdata" ]; then
    echo "pgo-build: no llvm-profdata under $(rustc --print sysroot)" \
        "(rustup component add llvm-tools failed); no PGO build" >&2
    exit 3
fi

# Everything this script writes lives here, so it may clear it.
work=$PWD/target/pgo-work
rm -rf "$work/profiles" "$work/train" "$work/nines.profdata"

RUSTFLAGS="-Cprofile-generate=$work/profiles" \
    cargo build --release --target-dir "$work/instrumented"
for scenario in scenarios/*.toml; do
    "$work/instrumented/release/nines" run "$scenario" --trials 2 \
        --out "$work/train/$(basename "$scenario" .toml)" >/dev/null
done
"$profdata" merge -o "$work/nines.profdata" "$work/profiles"

RUSTFLAGS="-Cprofile-use=$work/nines.profdata" \
    cargo build --release --target-dir target/pgo
echo "pgo-build: target/pgo/release/nines"
