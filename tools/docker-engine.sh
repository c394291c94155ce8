#!/usr/bin/env bash
# A Docker engine for the self-test under act (`make act`), the container tests and the image
# benchmark, on a machine that may have no running engine and no registry access.
#
#   tools/docker-engine.sh run [--optional] -- COMMAND [ARG...]
#       engine and images up, COMMAND with DOCKER_HOST set, then the engine stopped if this started
#       it; --optional: when no engine can be had, COMMAND runs all the same (make bench)
#   tools/docker-engine.sh start                     engine and images up, left running; prints
#                                                    the DOCKER_HOST to export
#   tools/docker-engine.sh stop                      stop the engine that `start` left running
#
# Bash callers may `source` it and use engine_up / engine_images / engine_down (.ci/run does, to
# make the images while the virtual environment installs).
#
# The engine: one that answers already (DOCKER_HOST, else the default socket) is used as it is and
# never stopped. Otherwise (root needed) Debian's docker.io is installed when dockerd is missing,
# and dockerd is started with everything of its own under $RELEASE_KIT_DOCKER_DIR (default
# /var/tmp/release-kit-docker): data root (the image cache, kept between runs), exec root, pid file,
# the socket docker.sock, and its own bridge $RELEASE_KIT_DOCKER_BRIDGE_NAME (default rkdocker0) with
# the address $RELEASE_KIT_DOCKER_BRIDGE (default 172.31.213.1/24), so that it coexists with any
# other dockerd (two engines of this script at once need a directory, bridge name and address each).
#
# The images (kept in the engine, made only when missing):
#   the base           the Dockerfile's default BASE_IMAGE (python:3.12-slim pinned by digest),
#                      pulled when a registry answers. Else a stand-in, $STAND_IN_IMAGE: Debian
#                      bookworm (Python 3.11, pip, venv, git, CA certificates) made by debootstrap
#                      and `docker import`-ed, labelled io.release-kit.stand-in=<version>. A digest
#                      names content, so no local image can answer to the pinned reference: builds
#                      here pass `--build-arg BASE_IMAGE=$STAND_IN_IMAGE` (engine_base_image prints
#                      which base to pass; docs/image.md).
#   localhost/release-kit-act-job   act's job image for `ubuntu-latest` (tools/act-job.Dockerfile:
#                      the base plus git).
set -euo pipefail

ENGINE_DIR=${RELEASE_KIT_DOCKER_DIR:-/var/tmp/release-kit-docker}
ENGINE_SOCKET="unix://$ENGINE_DIR/docker.sock"
ENGINE_BRIDGE=${RELEASE_KIT_DOCKER_BRIDGE_NAME:-rkdocker0}
ENGINE_BRIDGE_ADDRESS=${RELEASE_KIT_DOCKER_BRIDGE:-172.31.213.1/24}
JOB_IMAGE=localhost/release-kit-act-job:latest
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The Dockerfile's default base (the one line `ARG BASE_IMAGE=...`), and the offline stand-in.
PINNED_BASE=$(sed -n 's/^ARG BASE_IMAGE=//p' "$TOOLS_DIR/../Dockerfile")
STAND_IN_IMAGE=localhost/release-kit-base:stand-in
# Bumped when the stand-in's contents change: an older stand-in is made again.
STAND_IN_VERSION=2
ENGINE_STARTED=0

engine_log() { printf 'docker-engine: %s\n' "$*" >&2; }

engine_answers() { timeout 20 docker info > /dev/null 2>&1; }

apt_install() {
  engine_log "installing $* from Debian"
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" > /dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" > /dev/null
  fi
}

# Use the engine that answers, or start ours. Sets DOCKER_HOST (exported) and ENGINE_STARTED.
engine_up() {
  command -v docker > /dev/null || apt_install docker.io || return 1
  if engine_answers; then
    engine_log "using the running engine at ${DOCKER_HOST:-the default socket}"
    return 0
  fi
  local requested=${DOCKER_HOST:-}
  export DOCKER_HOST=$ENGINE_SOCKET
  if engine_answers; then
    engine_log "using the engine left running at $DOCKER_HOST"
    return 0
  fi
  if [[ -n "$requested" && "$requested" != "$ENGINE_SOCKET" ]]; then
    engine_log "DOCKER_HOST=$requested does not answer; starting an engine at $ENGINE_SOCKET"
  fi
  if [[ $EUID -ne 0 ]]; then
    engine_log "no Docker engine answers, and starting dockerd needs root (or set DOCKER_HOST)"
    return 1
  fi
  # (Each step says `|| return 1`: callers may run this in a condition, where set -e is off.)
  command -v dockerd > /dev/null || apt_install docker.io || return 1
  mkdir -p "$ENGINE_DIR" || return 1
  if ! ip link show "$ENGINE_BRIDGE" > /dev/null 2>&1; then
    ip link add "$ENGINE_BRIDGE" type bridge || return 1
    ip address add "$ENGINE_BRIDGE_ADDRESS" dev "$ENGINE_BRIDGE" || return 1
  fi
  ip link set "$ENGINE_BRIDGE" up || return 1
  rm -f "$ENGINE_DIR/docker.sock" "$ENGINE_DIR/dockerd.pid"
  # setsid: the engine is not in the caller's process group (a Ctrl-C reaches it only through
  # engine_down, which waits for it to stop cleanly).
  setsid dockerd --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
    --pidfile "$ENGINE_DIR/dockerd.pid" --host "$ENGINE_SOCKET" --bridge "$ENGINE_BRIDGE" \
    > "$ENGINE_DIR/dockerd.log" 2>&1 < /dev/null &
  local waited
  for waited in $(seq 120); do
    engine_answers && break
    if ! kill -0 $! 2> /dev/null; then break; fi
    sleep 0.5
  done
  if ! engine_answers; then
    engine_log "dockerd did not start; the end of $ENGINE_DIR/dockerd.log:"
    tail -n 20 "$ENGINE_DIR/dockerd.log" >&2
    return 1
  fi
  ENGINE_STARTED=1
  engine_log "started dockerd (pid $(cat "$ENGINE_DIR/dockerd.pid")) at $DOCKER_HOST in $((waited / 2)) s"
}

# Stop the dockerd this script started (by its pid file), and remove its bridge.
engine_down() {
  local pid
  pid=$(cat "$ENGINE_DIR/dockerd.pid" 2> /dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2> /dev/null; then
      engine_log "dockerd (pid $pid) did not stop in 30 s"
      return 1
    fi
    engine_log "stopped dockerd (pid $pid)"
  fi
  # What a stopped dockerd may leave mounted under its own directory (network namespaces).
  local target
  findmnt --raw --noheadings --output TARGET | awk -v dir="$ENGINE_DIR/" 'index($0, dir) == 1' | sort -r \
    | while read -r target; do umount "$target" || true; done
  if ip link show "$ENGINE_BRIDGE" > /dev/null 2>&1; then
    ip link delete "$ENGINE_BRIDGE"
  fi
}

# Debian bookworm with Python, pip, venv, git and CA certificates, imported as $STAND_IN_IMAGE.
make_stand_in_base() {
  command -v debootstrap > /dev/null || apt_install debootstrap
  local work mirror
  mkdir -p "$ENGINE_DIR"
  work=$(mktemp -d "$ENGINE_DIR/rootfs.XXXXXX")
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2> /dev/null | head -n 1)
  engine_log "making the stand-in base $STAND_IN_IMAGE with debootstrap (no registry answers)"
  if ! debootstrap --variant=minbase \
      --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates,git \
      bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}" > "$work/log" 2>&1; then
    tail -n 20 "$work/log" >&2
    rm -rf "$work"
    return 1
  fi
  # The host's CA bundle: TLS to the package index from inside builds and jobs trusts what the
  # host trusts.
  cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  local imported=0
  tar -C "$work/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL io.release-kit.stand-in=$STAND_IN_VERSION" \
    --change 'CMD ["python3"]' \
    --message "release-kit: Debian bookworm standing in for $PINNED_BASE" - "$STAND_IN_IMAGE" \
    > /dev/null && imported=1
  rm -rf "$work"
  [[ $imported == 1 ]]
}

stand_in_version() {
  docker image inspect --format '{{index .Config.Labels "io.release-kit.stand-in"}}' "$1" 2> /dev/null
}

# The BASE_IMAGE to build with: the pinned base when the engine has it, else the stand-in.
engine_base_image() {
  if docker image inspect "$PINNED_BASE" > /dev/null 2>&1; then
    echo "$PINNED_BASE"
  else
    echo "$STAND_IN_IMAGE"
  fi
}

engine_images() {
  local base
  if docker image inspect "$PINNED_BASE" > /dev/null 2>&1; then
    :
  elif timeout 120 docker pull --quiet "$PINNED_BASE" > /dev/null 2>&1; then
    engine_log "pulled $PINNED_BASE"
  elif [[ $(stand_in_version "$STAND_IN_IMAGE") != "$STAND_IN_VERSION" ]]; then
    make_stand_in_base || return 1
  fi
  base=$(engine_base_image)
  if [[ $base == "$STAND_IN_IMAGE" ]]; then
    engine_log "$PINNED_BASE cannot be pulled: builds use the stand-in $STAND_IN_IMAGE" \
      "($(docker run --rm "$STAND_IN_IMAGE" python3 --version))"
  fi
  # Cached layers make this a no-op when nothing changed.
  local output
  if ! output=$(docker build --tag "$JOB_IMAGE" --build-arg "BASE_IMAGE=$base" \
                  --file "$TOOLS_DIR/act-job.Dockerfile" "$TOOLS_DIR" 2>&1); then
    printf '%s\n' "$output" >&2
    return 1
  fi
  engine_log "images ready: $base, $JOB_IMAGE"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    run)
      shift
      optional=0
      [[ "${1:-}" == "--optional" ]] && { optional=1; shift; }
      [[ "${1:-}" == "--" ]] && shift
      if [[ $# -eq 0 ]]; then echo "usage: $0 run [--optional] -- COMMAND [ARG...]" >&2; exit 2; fi
      if engine_up; then
        if [[ $ENGINE_STARTED == 1 ]]; then trap engine_down EXIT; fi
        engine_images
      elif [[ $optional == 1 ]]; then
        engine_log "going on without an engine"
      else
        exit 1
      fi
      rc=0
      "$@" || rc=$?
      exit "$rc"
      ;;
    start)
      engine_up
      engine_images
      echo "export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}"
      echo "export BASE_IMAGE=$(engine_base_image)"
      ;;
    stop)
      engine_down
      ;;
    *)
      echo "usage: $0 run [--optional] -- COMMAND [ARG...] | start | stop" >&2
      exit 2
      ;;
  esac
fi
