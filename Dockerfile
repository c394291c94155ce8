# One image for every release-kit action. Each actions/<name>/action.yml says
# `runs: {using: docker, image: ../../Dockerfile, args: [<name>]}`: the runner builds this file
# with the repository root as context and runs `release-kit <name>`.
#
# GitHub runs Docker actions as root with its own working directory (/github/workspace), so there
# is deliberately no USER and no WORKDIR here.
#
# Build arguments:
#   BASE_IMAGE          any Debian-based image with Python >= 3.11 and venv
#   INSTALL_HELM_TOOLS  auto (default), true or false: whether helm/helmfile/helm-diff are
#                       installed (see below; without them deploy-helmfile cannot run)
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HELM_PLUGINS=/usr/local/lib/helm/plugins

# git: semver-bump reads tags and history from the workspace checkout with the git CLI. Installed
# from the base image's Debian release only when the base lacks it; pinning a Debian package
# version would break the build whenever the base image moves to a newer point release.
# hadolint ignore=DL3008
RUN if ! command -v git >/dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends git \
      && rm -rf /var/lib/apt/lists/*; \
    fi

# helm, helmfile and the helm-diff plugin for deploy-helmfile, pinned and checked against their
# sha256 (linux/amd64, the GitHub-hosted runners' platform). The plugin goes to HELM_PLUGINS
# because the runner replaces HOME. Where the checksums come from: helm's is the one the v3.22.0
# release notes publish (get.helm.sh/<tarball>.sha256sum); helmfile's and helm-diff's are the
# values independent public projects pin for the same release files (two or more agreeing
# sources each). Bumping a version means replacing its checksum from the release's checksums.
#
# INSTALL_HELM_TOOLS=auto (the default) installs them, or skips them with a notice when their
# downloads cannot be reached: runners build this file without build arguments (act too), and an
# offline build must still give an image for the other four actions (deploy-helmfile then stops
# with "helmfile not found"). true makes an unreachable download an error; false skips them. A
# checksum mismatch fails the build whatever the mode.
ARG INSTALL_HELM_TOOLS=auto
ARG HELM_VERSION=v3.22.0
ARG HELM_SHA256=1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb
ARG HELMFILE_VERSION=1.1.7
ARG HELMFILE_SHA256=e9d870f4e502b9f0850d7e0546cab8b418ff7f44ff4df0ed54cd3df8dfda189c
ARG HELM_DIFF_VERSION=v3.15.10
ARG HELM_DIFF_SHA256=ffeff863e4a3cbe83282a13a55ee972f7497966dfb66f326a117f9b094fff161
RUN case "${INSTALL_HELM_TOOLS}" in \
      false) echo "INSTALL_HELM_TOOLS=false: skipping helm, helmfile and helm-diff"; exit 0;; \
      true|auto) ;; \
      *) echo "INSTALL_HELM_TOOLS must be auto, true or false (got '${INSTALL_HELM_TOOLS}')" >&2; exit 1;; \
    esac; \
    arch="$(uname -m)"; \
    if [ "${arch}" != "x86_64" ]; then \
      echo "helm tools are pinned for x86_64 only (got ${arch}); build with INSTALL_HELM_TOOLS=false" >&2; exit 1; \
    fi; \
    tmp="$(mktemp -d)"; \
    fetch() { python -c 'import socket, sys, urllib.request; socket.setdefaulttimeout(60); urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "$1" "$2" 2>&1 | tail -n 1; }; \
    if ! { fetch "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz" "${tmp}/helm.tar.gz" \
           && fetch "https://github.com/helmfile/helmfile/releases/download/v${HELMFILE_VERSION}/helmfile_${HELMFILE_VERSION}_linux_amd64.tar.gz" \
                "${tmp}/helmfile.tar.gz" \
           && fetch "https://github.com/databus23/helm-diff/releases/download/${HELM_DIFF_VERSION}/helm-diff-linux-amd64.tgz" \
                "${tmp}/helm-diff.tgz"; }; then \
      rm -rf "${tmp}"; \
      if [ "${INSTALL_HELM_TOOLS}" = true ]; then \
        echo "could not download the helm tools (INSTALL_HELM_TOOLS=true)" >&2; exit 1; \
      fi; \
      echo "::notice title=helm tools skipped::could not download helm, helmfile and helm-diff; this image runs every action but deploy-helmfile (INSTALL_HELM_TOOLS=true makes this an error)"; \
      exit 0; \
    fi; \
    printf '%s  %s\n' "${HELM_SHA256}" "${tmp}/helm.tar.gz" "${HELMFILE_SHA256}" "${tmp}/helmfile.tar.gz" \
      "${HELM_DIFF_SHA256}" "${tmp}/helm-diff.tgz" | sha256sum --check --strict - \
    && tar -xzf "${tmp}/helm.tar.gz" -C /usr/local/bin --strip-components=1 linux-amd64/helm \
    && tar -xzf "${tmp}/helmfile.tar.gz" -C /usr/local/bin helmfile \
    && mkdir -p "${HELM_PLUGINS}" \
    && tar -xzf "${tmp}/helm-diff.tgz" -C "${HELM_PLUGINS}" \
    && rm -rf "${tmp}" \
    && helm version --short \
    && helmfile --version \
    && helm plugin list | grep -q '^diff'

# Dependencies first, in their own layer: editing the code does not reinstall them.
RUN python -m venv "${VIRTUAL_ENV}"
COPY pyproject.toml /opt/release-kit/pyproject.toml
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("/opt/release-kit/pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/requirements.txt \
    && pip install --no-cache-dir --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the code: the library (installed without touching the dependencies), with the actions
# folders (action.yml and main.py) inside it as package data (shared/release_kit/actions links
# to actions/), so the installed CLI finds them without a setting.
COPY README.md /opt/release-kit/README.md
COPY shared/ /opt/release-kit/shared/
COPY actions/ /opt/release-kit/actions/
RUN pip install --no-cache-dir --no-deps /opt/release-kit \
    && rm -rf /opt/release-kit/build /opt/release-kit/shared/*.egg-info \
    && release-kit --help

# Marks the images built from this file (tools/act-selftest.sh prunes the untagged ones it left).
LABEL org.opencontainers.image.title="release-kit"

ENTRYPOINT ["/opt/venv/bin/release-kit"]
