#!/usr/bin/env bash
# Regenerates results/<name>/ for every scenario in scenarios/, results/quickstart-sweep/
# and results/capacity-plan-plan/
# (each run replaces its own earlier result). Usage: bash scripts/regenerate-results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
nines="${CARGO_TARGET_DIR:-target}/release/nines"
for scenario in scenarios/*.toml; do
    "$nines" run "$scenario"
done
# One sweep: quickstart's web tier from 3 to 6 nodes, two balancers.
"$nines" sweep scenarios/quickstart.toml --set services.web.nodes=3..6 \
    --set services.web.balancer=round_robin,power_of_two --trials 8
# One plan: the capacity-plan scenario's cheapest design.
"$nines" plan scenarios/capacity-plan.toml
du -sh results
