#!/usr/bin/env bash
# CI's Slurm test (run by .ci/run after `cargo test`; as root): installs Slurm and munge
# from Debian's packages if missing, starts a one-node cluster (munged, slurmctld, slurmd;
# config as in the project's one-node reference), submits scenarios/quickstart.toml as a
# 4-shard array plus its merge job through submit.sh, and checks the merged directory
# equals one local run byte for byte. Every daemon it started is stopped on exit, also on
# failure. Bounded: each wait has a timeout; the whole step takes well under 3 minutes.
# Usage: bash scripts/slurm/ci-test.sh [NINES_BINARY]  (default: the ci-profile build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
nines=${1:-${CARGO_TARGET_DIR:-$root/target}/ci/nines}
[ -x "$nines" ] || { echo "slurm ci-test: no nines binary at $nines (cargo build --profile ci)" >&2; exit 1; }
nines=$(realpath "$nines")
[ "$(id -u)" = 0 ] || { echo "slurm ci-test: must run as root (it installs and starts Slurm)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm ci-test: installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    timeout 60 apt-get update -qq
    timeout 100 apt-get install -y -qq slurm-wlm munge >/dev/null
fi
# The pid in pid file $1, or nothing: a daemon removes its file as it exits, so the file
# may go between a test for it and the read.
pid_in() { cat "$1" 2>/dev/null || true; }
# Whether the daemon of pid file $1 runs.
running() { local pid; pid=$(pid_in "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

for pidfile in /run/slurmctld.pid /run/slurmd.pid; do
    if running "$pidfile"; then
        echo "slurm ci-test: a Slurm daemon is already running (pid file $pidfile); stop it first" >&2
        exit 1
    fi
done

work=$(mktemp -d /tmp/nines-slurm.XXXXXX)
started=()   # pid files of the daemons this script started
cleanup() {
    local rc=$?
    if command -v scancel >/dev/null && [ ${#started[@]} -gt 0 ]; then
        scancel --quiet --full --user=root 2>/dev/null || true
    fi
    for ((k = ${#started[@]} - 1; k >= 0; k--)); do
        local f=${started[k]}
        local pid
        pid=$(pid_in "$f")
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    # Wait (bounded) for them to go, so none outlives the step.
    for _ in $(seq 50); do
        local alive=0
        for f in "${started[@]}"; do
            running "$f" && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    if [ $rc != 0 ]; then
        echo "slurm ci-test: FAILED; logs follow" >&2
        tail -n 20 "$work"/run/slurm-*.out /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 2>/dev/null || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

host=$(hostname -s)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
chown munge:munge /run/munge
sed "s/HOST/$host/g" >/etc/slurm/slurm.conf <<'CONF'
ClusterName=local
SlurmctldHost=HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=HOST NodeAddr=127.0.0.1 CPUs=2 RealMemory=20000 State=UNKNOWN
PartitionName=local Nodes=HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF

# munged: reuse one already running (it is not ours to stop), else start it.
if ! running /run/munge/munged.pid; then
    [ -s /etc/munge/munge.key ] || runuser -u munge -- /usr/sbin/mungekey --verbose
    runuser -u munge -- /usr/sbin/munged
    started+=(/run/munge/munged.pid)
fi
munge -n | unmunge >/dev/null
# -c: start from a clean state, whatever an earlier cluster left in the spool directories.
slurmctld -c
started+=(/run/slurmctld.pid)
slurmd -c
started+=(/run/slurmd.pid)

wait_for() { # wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.5 s until it succeeds
    local limit=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + limit))
    until "$@"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "slurm ci-test: timed out after ${limit}s waiting for $what" >&2
            return 1
        fi
        sleep 0.5
    done
}
node_idle() { sinfo -h -N -o '%t' 2>/dev/null | grep -qx 'idle'; }
wait_for 30 "the node to come up idle" node_idle

scenario=$root/scenarios/quickstart.toml
out=$(bash "$root/scripts/slurm/submit.sh" -n 4 -c 1 -b "$nines" "$scenario" "$work/run" -- --trials 8)
array=$(awk '$1 == "shards" {print $2}' <<<"$out")
merge=$(awk '$1 == "merge" {print $2}' <<<"$out")
echo "slurm ci-test: submitted shard array $array and merge job $merge"
jobs_gone() { [ -z "$(squeue -h -j "$array,$merge" -o '%i' 2>/dev/null)" ]; }
wait_for 120 "the shard array and the merge job to finish" jobs_gone

[ -f "$work/run/merged/summary.json" ] || { echo "slurm ci-test: the merge job wrote no result" >&2; exit 1; }
"$nines" run "$scenario" --trials 8 --out "$work/local" >/dev/null
diff -r "$work/local" "$work/run/merged"
files=$(find "$work/local" -type f | wc -l)
echo "slurm ci-test: 4 shards on Slurm merged equal one local run byte for byte ($files files, $(($(date +%s) - start)) s)"
