#!/usr/bin/env bash
# Validate the specs, plan each environment and write the pull request's plan comment.
#
#   scripts/ci/pr-plan.sh [--emulator] [--out DIR] [--validate-only | --skip-validate]
#                         [--no-comment] [--fork] [ENV...]
#
# Without ENV, every environment in $SPECS_DIR/environments/*.yaml is planned. Writes into DIR
# (default $PLAN_OUT_DIR or plan-out):
#   validate.json, validate.rc        sagectl validate --format json, and its exit code
#   plan-ENV.md, plan-ENV.json        sagectl plan --format markdown (the comment section) and the
#                                     JSON plan (--out), per environment
#   plan-ENV.rc, plan-ENV.err         the plan's exit code (0 no changes, 2 changes, other: error;
#                                     "skipped" when the specs are invalid) and its stderr
#   comment.md                        the comment body (scripts/ci/plan-comment.py)
# Exit 0 when the specs are valid and every plan succeeded (changes are not a failure), 1 when
# validation or a plan failed (the comment is written all the same), 2 on a usage error.
#
# Environment: SPECS_DIR (specs), SAGECTL (the command, default sagectl), PYTHON (python3),
# SAGECTL_PLAN_ARGS (extra plan arguments, e.g. --emulator or --no-prune). In GitHub Actions
# (GITHUB_ACTIONS=true) validation errors also become annotations on the pull request, the comment
# is added to the job summary, and outputs changes=true|false and failed=true|false are set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
specs="${SPECS_DIR:-specs}"
out="${PLAN_OUT_DIR:-plan-out}"
python="${PYTHON:-python3}"
read -r -a sagectl <<< "${SAGECTL:-sagectl}"
read -r -a plan_args <<< "${SAGECTL_PLAN_ARGS:-}"
validate=1 plan=1 comment=1 fork_args=()
envs=()

group() { if [[ "${GITHUB_ACTIONS:-}" == true ]]; then echo "::group::$*"; fi; }
endgroup() { if [[ "${GITHUB_ACTIONS:-}" == true ]]; then echo "::endgroup::"; fi; }

while (($#)); do
  case "$1" in
    --emulator) plan_args+=(--emulator) ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    --validate-only) plan=0 ;;
    --skip-validate) validate=0 ;;
    --no-comment) comment=0 ;;
    --fork) fork_args=(--fork); plan=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "pr-plan.sh: unknown option $1" >&2; exit 2 ;;
    *) envs+=("$1") ;;
  esac
  shift
done

mkdir -p "$out"
if ((${#envs[@]} == 0)); then
  mapfile -t envs < <("$python" "$here/environments.py" --specs "$specs")
fi
if ((${#envs[@]} == 0)); then
  echo "pr-plan.sh: no environments in $specs/environments/" >&2
  exit 2
fi

failed=0 changes=0 valid=1
if ((validate)); then
  group "sagectl validate $specs"
  rc=0
  "${sagectl[@]}" validate "$specs" --format json > "$out/validate.json" || rc=$?
  echo "$rc" > "$out/validate.rc"
  if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
    # the same diagnostics as workflow commands: annotations on the pull request's lines
    "${sagectl[@]}" validate "$specs" --format github 2>&1 || true
  else
    "${sagectl[@]}" validate "$specs" >&2 || true
  fi
  endgroup
  if ((rc != 0)); then
    echo "pr-plan.sh: sagectl validate failed (exit $rc)" >&2
    failed=1 valid=0
  fi
fi

if ((plan)); then
  for env in "${envs[@]}"; do
    if ((!valid)); then
      echo skipped > "$out/plan-$env.rc"
      : > "$out/plan-$env.md"
      continue
    fi
    group "sagectl plan $specs --env $env"
    rc=0
    "${sagectl[@]}" plan "$specs" --env "$env" --format markdown --detailed-exitcode \
      --out "$out/plan-$env.json" "${plan_args[@]}" > "$out/plan-$env.md" \
      2> "$out/plan-$env.err" || rc=$?
    echo "$rc" > "$out/plan-$env.rc"
    cat "$out/plan-$env.err" >&2
    endgroup
    case "$rc" in
      0) echo "$env: no changes" ;;
      2) echo "$env: changes"; changes=1 ;;
      *) echo "pr-plan.sh: the plan for $env failed (exit $rc)" >&2; failed=1 ;;
    esac
  done
fi

if ((comment)); then
  env_list="${envs[*]}"
  "$python" "$here/plan-comment.py" "$out" --envs "$env_list" "${fork_args[@]}" \
    --out "$out/comment.md"
  echo "pr-plan.sh: wrote $out/comment.md ($(wc -c < "$out/comment.md") bytes)"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    cat "$out/comment.md" >> "$GITHUB_STEP_SUMMARY"
  fi
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  { echo "changes=$([[ $changes == 1 ]] && echo true || echo false)"
    echo "failed=$([[ $failed == 1 ]] && echo true || echo false)"; } >> "$GITHUB_OUTPUT"
fi
exit "$failed"
