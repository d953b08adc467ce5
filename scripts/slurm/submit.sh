#!/usr/bin/env bash
# Submits a nines run to Slurm as a job array of shards plus a merge job that starts when
# every shard has succeeded. Prints the two job ids ("shards JOBID", "merge JOBID").
#
#   scripts/slurm/submit.sh [-n SHARDS] [-c CPUS_PER_TASK] [-p PARTITION] [-b NINES] \
#       SCENARIO WORKDIR [-- NINES RUN ARGS...]
#
# WORKDIR must be on a filesystem every node sees (it receives shard-0 .. shard-(N-1),
# merged/, and the jobs' logs). NINES defaults to `nines` on PATH; give an absolute path
# that exists on every node. Example:
#   scripts/slurm/submit.sh -n 16 -c 4 -p batch scenarios/balancers.toml /shared/nines/bal -- --trials 2000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=4 cpus=1 partition="" nines=$(command -v nines || true)
while getopts "n:c:p:b:h" opt; do
    case $opt in
        n) shards=$OPTARG ;;
        c) cpus=$OPTARG ;;
        p) partition=$OPTARG ;;
        b) nines=$OPTARG ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
scenario=$(realpath "$1") workdir=$2
shift 2
[ "${1:-}" = "--" ] && shift
[ -n "$nines" ] && [ -x "$nines" ] || { echo "submit.sh: no nines binary (pass -b PATH)" >&2; exit 2; }
nines=$(realpath "$nines")
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: -n must be a positive integer" >&2; exit 2; }
mkdir -p "$workdir"
workdir=$(realpath "$workdir")
common=(--parsable --chdir="$workdir")
[ -n "$partition" ] && common+=(--partition="$partition")
array=$(sbatch "${common[@]}" --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
    --output="$workdir/slurm-%A_%a.out" \
    "$here/shard.sbatch" "$nines" "$scenario" "$workdir" "$@")
array=${array%%;*}
merge=$(sbatch "${common[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --output="$workdir/slurm-%j-merge.out" \
    "$here/merge.sbatch" "$nines" "$workdir" "$shards")
merge=${merge%%;*}
echo "shards $array"
echo "merge $merge"
