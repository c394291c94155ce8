#!/usr/bin/env bash
# The self-test workflow (.github/workflows/test-actions.yml) under act, offline, against the
# Docker engine of DOCKER_HOST (`make act` runs this through tools/docker-engine.sh, which starts
# one and makes the images when needed).
#
#   tools/act-selftest.sh ACT_BINARY
#
# act runs a scratch copy of this checkout: HEAD plus the working tree's uncommitted changes (and
# untracked files that are not ignored). The job adds tags and branches to its checkout, and act
# cannot copy a git worktree whose .git is a file. The copy's origin names the repository
# (acme-platform/github-actions), which act reads for GITHUB_REPOSITORY.
#
# Exit status: act's, which is non-zero when any step failed; the workflow's check steps fail the
# job when an action's outputs are not the expected ones, and no action step is conditional.
# The log is kept in $ACT_LOG (default .act/act.log).
set -euo pipefail

act=${1:?usage: tools/act-selftest.sh ACT_BINARY}
act=$(realpath "$act")
root=$(git -C "$(dirname "${BASH_SOURCE[0]}")/.." rev-parse --show-toplevel)
workflow=.github/workflows/test-actions.yml
job_image=localhost/release-kit-act-job:latest
log=${ACT_LOG:-$root/.act/act.log}
mkdir -p "$(dirname "$log")"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
copy=$scratch/github-actions
git clone --quiet --no-hardlinks "$root" "$copy"
git -C "$copy" remote set-url origin https://github.com/acme-platform/github-actions.git
# The working tree's changes on top of HEAD: modified and new files copied, deleted ones removed.
(
  cd "$root"
  git ls-files -z --modified --others --exclude-standard | while IFS= read -r -d '' path; do
    if [[ -e "$path" ]]; then
      mkdir -p "$copy/$(dirname "$path")"
      cp -p "$path" "$copy/$path"
    else
      rm -f "$copy/$path"
    fi
  done
)

# Remote actions other than the checkout (which act does itself) come from GitHub, which an offline
# run cannot reach: each is replaced by a local stand-in, at the exact ref the workflow pins.
local_actions=()
setup_python=$(grep -o 'actions/setup-python@[0-9a-f]\{40\}' "$copy/$workflow" | sort -u)
for ref in $setup_python; do
  local_actions+=(--local-repository "$ref=$root/tools/act/setup-python")
done

started=$SECONDS
rc=0
# --pull=false: the job image is local; --container-daemon-socket -: the job gets no Docker socket
# (it needs none: act builds and runs the Docker actions); --no-cache-server: nothing listens on
# the host's network addresses.
(cd "$copy" && "$act" push --workflows "$workflow" \
   --platform "ubuntu-latest=$job_image" --pull=false --container-daemon-socket - \
   --no-cache-server --rm "${local_actions[@]}") > "$log" 2>&1 || rc=$?

# Images of earlier runs that this run's builds untagged (only those built from our Dockerfile).
docker image prune --force --filter label=org.opencontainers.image.title=release-kit > /dev/null \
  || true

# The step results, one line each (act prints a line per step, with ✅ or ❌).
grep -E '(✅|❌)  (Success|Failure) - ' "$log" | sed -E 's/^\[[^]]*\] +//' || true
# Every `uses: ./actions/<name>` step of the workflow must have run and succeeded: act's exit
# status alone would not tell a skipped step.
expected=$(grep -cE '^ *(- )?uses: \./actions/' "$copy/$workflow")
succeeded=$(grep -c '✅  Success - Main \./actions/' "$log" || true)
if [[ $rc -eq 0 && $succeeded -ne $expected ]]; then
  echo "act: $succeeded of the workflow's $expected action steps succeeded" >&2
  rc=1
fi
if [[ $rc -ne 0 ]]; then
  echo "--- the end of $log:" >&2
  tail -n 60 "$log" >&2
fi
printf 'act: %s in %ss (log: %s)\n' "$([[ $rc == 0 ]] && echo passed || echo "FAILED (exit $rc)")" \
  "$((SECONDS - started))" "$log"
exit "$rc"
