#!/usr/bin/env bash
# Apply one environment from the checked-out commit and write the job summary.
#
#   scripts/ci/apply.sh [--emulator] [--out DIR] [--plan PLAN.json] ENV
#
# Runs `sagectl apply $SPECS_DIR --env ENV --auto-approve --json` (with --plan, the saved plan
# that was reviewed: `sagectl apply PLAN.json --specs $SPECS_DIR ...`, which applies exactly that
# plan and refuses it when AWS changed since it was made), streaming its JSON events to
# the log and to DIR/apply-ENV.log (default DIR: $APPLY_OUT_DIR or apply-out), then renders them
# as markdown (scripts/ci/apply-summary.py) into DIR/summary-ENV.md and $GITHUB_STEP_SUMMARY.
# Exits with sagectl's code, so anything but a clean apply fails the job: 1 error, 4 rolled back,
# 5 degraded, 6 not applied (waiting); 2 is a usage error.
#
# With SAGECTL_APPLY_ONLY_IF_TIP=1 (the apply workflow sets it) the apply is skipped, exit 0, when
# the branch has moved on since this commit: the newer run applies the newer commit, and an older
# run that waited (for the concurrency group or a reviewer) never applies stale specs after it.
#
# Environment: SPECS_DIR (specs), SAGECTL (default sagectl), PYTHON (python3), SAGECTL_APPLY_ARGS
# (extra apply arguments, e.g. --emulator).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
specs="${SPECS_DIR:-specs}"
out="${APPLY_OUT_DIR:-apply-out}"
python="${PYTHON:-python3}"
read -r -a sagectl <<< "${SAGECTL:-sagectl}"
read -r -a extra <<< "${SAGECTL_APPLY_ARGS:-}"
env="" saved=""

while (($#)); do
  case "$1" in
    --emulator) extra+=(--emulator) ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    --plan) saved="${2:?--plan needs a saved plan}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "apply.sh: unknown option $1" >&2; exit 2 ;;
    *) [[ -z "$env" ]] || { echo "apply.sh: one environment at a time" >&2; exit 2; }
       env="$1" ;;
  esac
  shift
done
[[ -n "$env" ]] || { echo "apply.sh: which environment?" >&2; exit 2; }
[[ -z "$saved" || -f "$saved" ]] || { echo "apply.sh: no saved plan $saved" >&2; exit 1; }
mkdir -p "$out"
summary="$out/summary-$env.md"

publish() {
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$summary" >> "$GITHUB_STEP_SUMMARY"; fi
}

if [[ "${SAGECTL_APPLY_ONLY_IF_TIP:-}" == 1 ]]; then
  branch="${GITHUB_REF_NAME:-main}"
  head="$(git rev-parse HEAD)"
  tip="$(git ls-remote origin "refs/heads/$branch" | cut -f1)" || {
    echo "apply.sh: cannot read the tip of $branch from origin; nothing applied" >&2; exit 1; }
  if [[ -n "$tip" && "$tip" != "$head" ]]; then
    # shellcheck disable=SC2016  # the backticks are markdown
    printf '### sagectl apply `%s`: skipped\n\n%s has moved on from %s to %s; the run for the newer commit applies it.\n' \
      "$env" "$branch" "${head:0:12}" "${tip:0:12}" > "$summary"
    cat "$summary"
    publish
    exit 0
  fi
fi

if [[ -n "$saved" ]]; then
  what=("$saved" --specs "$specs")
else
  what=("$specs")
fi
echo "sagectl apply ${what[*]} --env $env --auto-approve --json ${extra[*]}"
{ code=0
  "${sagectl[@]}" apply "${what[@]}" --env "$env" --auto-approve --json "${extra[@]}" 2>&1 \
    || code=$?
  echo "$code" > "$out/apply-$env.rc"; } | tee "$out/apply-$env.log"
rc="$(cat "$out/apply-$env.rc")"

"$python" "$here/apply-summary.py" --env "$env" --rc "$rc" "$out/apply-$env.log" > "$summary"
publish
echo "apply.sh: $env: exit $rc"
exit "$rc"
