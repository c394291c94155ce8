#!/usr/bin/env bash
# The self-test workflow (.github/workflows/test-actions.yml) under act, offline, against the
# Docker engine of DOCKER_HOST (`make act` and `make act-release` run this through
# tools/docker-engine.sh, which starts one and makes the images when needed).
#
#   tools/act-selftest.sh ACT_BINARY             the main branch: act builds ../../Dockerfile
#   tools/act-selftest.sh --release ACT_BINARY   a release: the image pushed to a local registry,
#                                                the actions pinned to it by digest, act pulls it
#
# act runs a scratch copy of this checkout: HEAD plus the working tree's uncommitted changes (and
# untracked files that are not ignored). The job adds tags and branches to its checkout, and act
# cannot copy a git worktree whose .git is a file. The copy's origin names the repository
# (acme-platform/github-actions), which act reads for GITHUB_REPOSITORY.
#
# The base image. The Dockerfile's default BASE_IMAGE is python:3.12-slim pinned by digest, and
# act cannot pass build arguments. Where the engine has no such image (no registry answers: a
# digest names content, so no local image can stand for it), the copy's `ARG BASE_IMAGE=` default
# names the local stand-in instead (tools/docker-engine.sh) - the substitution the container tests
# make with --build-arg. The log says so.
#
# --release: Debian's docker-registry serves on a free loopback port; the image is built from the
# checkout (the base as above, by build argument) and pushed there; `tools/release_tree.py` writes
# the release variant of the copy (every action.yml: docker://<registry>/<path>@sha256:<digest>);
# the engine forgets the pushed references, so that act has to pull the image by digest; act runs
# the copy. It fails unless act pulled that digest (the engine has it afterwards, not before) and
# built nothing. The registry and the pulled reference are removed at the end.
#
# Exit status: act's, which is non-zero when any step failed; the workflow's check steps fail the
# job when an action's outputs are not the expected ones, and no action step is conditional.
# The log is kept in $ACT_LOG (default .act/act.log, or .act/act-release.log).
set -euo pipefail

release=0
if [[ "${1:-}" == "--release" ]]; then release=1; shift; fi
act=${1:?usage: tools/act-selftest.sh [--release] ACT_BINARY}
act=$(realpath "$act")
root=$(git -C "$(dirname "${BASH_SOURCE[0]}")/.." rev-parse --show-toplevel)
workflow=.github/workflows/test-actions.yml
job_image=localhost/release-kit-act-job:latest
log=${ACT_LOG:-$root/.act/$([[ $release == 1 ]] && echo act-release || echo act).log}
mkdir -p "$(dirname "$log")"
# shellcheck source=tools/docker-engine.sh
source "$root/tools/docker-engine.sh"
base=$(engine_base_image)

scratch=$(mktemp -d)
registry_pid=
pulled=
cleanup() {
  if [[ -n $registry_pid ]]; then kill "$registry_pid" 2> /dev/null || true; wait "$registry_pid" 2> /dev/null || true; fi
  if [[ -n $pulled ]]; then docker image rm "$pulled" > /dev/null 2>&1 || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
copy=$scratch/github-actions

if [[ $release == 1 ]]; then
  # A registry on a free loopback port (the engine pulls from 127.0.0.0/8 over plain HTTP).
  command -v docker-registry > /dev/null || apt_install docker-registry
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$scratch/registry"
  printf '%s\n' 'version: 0.1' 'log: {level: error, accesslog: {disabled: true}}' \
    "storage: {filesystem: {rootdirectory: $scratch/registry/data}}" \
    "http: {addr: 127.0.0.1:$port}" > "$scratch/registry/config.yml"
  docker-registry serve "$scratch/registry/config.yml" > "$scratch/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://127.0.0.1:$port/v2/" 2> /dev/null && break
    sleep 0.1
  done
  image=127.0.0.1:$port/release-kit/actions:selftest
  echo "act-release: building the image FROM $base and pushing it to $image"
  docker build --quiet --build-arg "BASE_IMAGE=$base" --tag "$image" "$root" > /dev/null
  docker push --quiet "$image" > /dev/null
  python3 "$root/tools/release_tree.py" --source "$root" --out "$copy" --image "$image"
  pulled=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["reference"].removeprefix("docker://"))' \
             "$copy/.release-kit-release.json")
  # The engine forgets the references the push left, so that only a pull can give it the image.
  docker image rm "$image" "$pulled" > /dev/null 2>&1 || true
  if docker image inspect "$pulled" > /dev/null 2>&1; then
    echo "act-release: the engine still has $pulled before act ran" >&2
    exit 1
  fi
  # The release tree is a copy of the checkout's files: made a repository for act.
  git -C "$copy" init --quiet --initial-branch=main
  git -C "$copy" add --all
  git -C "$copy" -c user.name="release-kit self-test" -c user.email="self-test@example.invalid" \
    commit --quiet -m "release tree: the actions run $pulled"
  git -C "$copy" remote add origin https://github.com/acme-platform/github-actions.git
else
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
  if [[ $base != "$PINNED_BASE" ]]; then
    echo "act: the engine has no $PINNED_BASE; act builds the Dockerfile FROM $base (the stand-in)"
    sed -i "s|^ARG BASE_IMAGE=.*|ARG BASE_IMAGE=$base|" "$copy/Dockerfile"
  fi
fi

# Remote actions other than the checkout (which act does itself) come from GitHub, which an offline
# run cannot reach: each is replaced by a local stand-in, at the exact ref the workflow pins.
local_actions=()
setup_python=$(grep -o 'actions/setup-python@[0-9a-f]\{40\}' "$copy/$workflow" | sort -u)
for ref in $setup_python; do
  local_actions+=(--local-repository "$ref=$root/tools/act/setup-python")
done

started=$SECONDS
rc=0
# --pull=false: the job image is local (a docker:// action image is still pulled when the engine
# lacks it); --container-daemon-socket -: the job gets no Docker socket (it needs none: act builds
# or pulls and runs the Docker actions); --no-cache-server: nothing listens on the host's network
# addresses.
(cd "$copy" && "$act" push --workflows "$workflow" \
   --platform "ubuntu-latest=$job_image" --pull=false --container-daemon-socket - \
   --no-cache-server --rm "${local_actions[@]}") > "$log" 2>&1 || rc=$?

# The step results, one line each (act prints a line per step, with ✅ or ❌).
grep -E '(✅|❌)  (Success|Failure) - ' "$log" | sed -E 's/^\[[^]]*\] +//' || true

if [[ $release == 1 && $rc -eq 0 ]]; then
  # act prints "docker pull" for every image it uses, present or not: what proves the pull is
  # that the engine has the digest now and did not before; and no step built an image.
  if ! docker image inspect "$pulled" > /dev/null 2>&1; then
    echo "act-release: the engine does not have $pulled: act did not pull it" >&2
    rc=1
  elif grep -q '🐳  docker build' "$log"; then
    echo "act-release: act built an image; the release variant must only pull" >&2
    grep '🐳  docker build' "$log" >&2
    rc=1
  else
    echo "act-release: every action ran $pulled, pulled from the local registry; nothing built"
  fi
fi
# Images of earlier runs that this run's builds untagged (only those built from our Dockerfile;
# the image a release run pulled by digest too: it has no tag).
docker image prune --force --filter label=org.opencontainers.image.title=release-kit > /dev/null \
  || true

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
printf '%s: %s in %ss (log: %s)\n' "$([[ $release == 1 ]] && echo act-release || echo act)" \
  "$([[ $rc == 0 ]] && echo passed || echo "FAILED (exit $rc)")" "$((SECONDS - started))" "$log"
exit "$rc"
