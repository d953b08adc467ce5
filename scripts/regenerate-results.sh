#!/usr/bin/env bash
# Regenerates results/<name>/ for every scenario in scenarios/ (each run replaces its own
# earlier result). Usage: bash scripts/regenerate-results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for scenario in scenarios/*.toml; do
    ./target/release/nines run "$scenario"
done
du -sh results
