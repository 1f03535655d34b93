#!/usr/bin/env bash
# Check one environment for drift (optionally heal it first) and leave the report for the issue.
#
#   scripts/ci/drift.sh [--emulator] [--heal] [--out DIR] ENV
#
# With --heal, `sagectl drift --heal` runs first (it needs the apply role); then the report is
# read again, so the issue shows what is left. Writes into DIR (default $DRIFT_OUT_DIR or
# drift-out):
#   drift-ENV.json   sagectl drift --format json --detailed-exitcode
#   drift-ENV.md     sagectl drift --format markdown (the issue body)
#   drift-ENV.rc     the JSON run's exit code: 0 no actionable drift, 2 actionable drift, else error
#   drift-ENV.err    stderr of the runs;  heal-ENV.log  the heal's output (with --heal)
# Prints and (in GitHub Actions) sets the output status=clean|drift|error, and rc=N.
# Exit 0 when the report was read (drift or not: the issue is the signal), 1 when drift failed or
# the heal did, 2 on a usage error.
#
# Environment: SPECS_DIR (specs), SAGECTL (default sagectl), SAGECTL_DRIFT_ARGS (extra arguments
# for every drift run, e.g. --emulator). With SAGECTL_APPLY_ONLY_IF_TIP=1 (the heal job sets it)
# there is no heal when the branch has moved on since this commit (the report still runs).
set -euo pipefail

specs="${SPECS_DIR:-specs}"
out="${DRIFT_OUT_DIR:-drift-out}"
read -r -a sagectl <<< "${SAGECTL:-sagectl}"
read -r -a extra <<< "${SAGECTL_DRIFT_ARGS:-}"
heal=0 env=""

while (($#)); do
  case "$1" in
    --emulator) extra+=(--emulator) ;;
    --heal) heal=1 ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "drift.sh: unknown option $1" >&2; exit 2 ;;
    *) [[ -z "$env" ]] || { echo "drift.sh: one environment at a time" >&2; exit 2; }
       env="$1" ;;
  esac
  shift
done
[[ -n "$env" ]] || { echo "drift.sh: which environment?" >&2; exit 2; }
mkdir -p "$out"
: > "$out/drift-$env.err"

heal_rc=0
if ((heal)) && [[ "${SAGECTL_APPLY_ONLY_IF_TIP:-}" == 1 ]]; then
  # a heal applies this commit's specs: never those of a commit main has moved on from
  branch="${GITHUB_REF_NAME:-main}"
  tip="$(git ls-remote origin "refs/heads/$branch" | cut -f1)" || {
    echo "drift.sh: cannot read the tip of $branch from origin; no heal" >&2; exit 1; }
  if [[ -n "$tip" && "$tip" != "$(git rev-parse HEAD)" ]]; then
    echo "drift.sh: $branch has moved on to ${tip:0:12}; not healing from an older commit" >&2
    heal=0
  fi
fi
if ((heal)); then
  echo "sagectl drift $specs --env $env --heal"
  { code=0; "${sagectl[@]}" drift "$specs" --env "$env" --heal "${extra[@]}" 2>&1 || code=$?
    echo "$code" > "$out/heal-$env.rc"; } | tee "$out/heal-$env.log"
  heal_rc="$(cat "$out/heal-$env.rc")"
  # 0: nothing left; 2: drift left that a heal does not touch (reported below)
  if [[ "$heal_rc" != 0 && "$heal_rc" != 2 ]]; then
    echo "drift.sh: the heal of $env failed (exit $heal_rc)" >&2
  fi
fi

rc=0
"${sagectl[@]}" drift "$specs" --env "$env" --format json --detailed-exitcode "${extra[@]}" \
  > "$out/drift-$env.json" 2>> "$out/drift-$env.err" || rc=$?
echo "$rc" > "$out/drift-$env.rc"
case "$rc" in
  0) status=clean ;;
  2) status=drift ;;
  *) status=error ;;
esac
if [[ "$status" != error ]]; then
  "${sagectl[@]}" drift "$specs" --env "$env" --format markdown "${extra[@]}" \
    > "$out/drift-$env.md" 2>> "$out/drift-$env.err" || true
fi
cat "$out/drift-$env.err" >&2
echo "drift.sh: $env: $status (exit $rc)"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  { echo "status=$status"; echo "rc=$rc"; } >> "$GITHUB_OUTPUT"
fi
if [[ "$status" == error ]] || [[ "$heal_rc" != 0 && "$heal_rc" != 2 ]]; then
  exit 1
fi
exit 0
