# One image for every release-kit action. Each actions/<name>/action.yml says
# `runs: {using: docker, image: ../../Dockerfile, args: [<name>]}`: the runner builds this file
# with the repository root as context and runs `release-kit <name>`.
#
# GitHub runs Docker actions as root with its own working directory (/github/workspace), so there
# is deliberately no USER and no WORKDIR here.
#
# Build arguments:
#   BASE_IMAGE          any Debian-based image with Python >= 3.11 and venv
#   INSTALL_HELM_TOOLS  false skips helm/helmfile/helm-diff (builds without internet access;
#                       the deploy-helmfile action then cannot run in that image)
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    RELEASE_KIT_ACTIONS_DIR=/opt/release-kit/actions \
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
ARG INSTALL_HELM_TOOLS=true
ARG HELM_VERSION=v3.22.0
ARG HELM_SHA256=1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb
ARG HELMFILE_VERSION=1.1.7
ARG HELMFILE_SHA256=e9d870f4e502b9f0850d7e0546cab8b418ff7f44ff4df0ed54cd3df8dfda189c
ARG HELM_DIFF_VERSION=v3.15.10
ARG HELM_DIFF_SHA256=ffeff863e4a3cbe83282a13a55ee972f7497966dfb66f326a117f9b094fff161
RUN if [ "${INSTALL_HELM_TOOLS}" != "true" ]; then \
      echo "INSTALL_HELM_TOOLS=${INSTALL_HELM_TOOLS}: skipping helm, helmfile and helm-diff"; exit 0; \
    fi; \
    arch="$(uname -m)"; \
    if [ "${arch}" != "x86_64" ]; then \
      echo "helm tools are pinned for x86_64 only (got ${arch}); build with INSTALL_HELM_TOOLS=false" >&2; exit 1; \
    fi; \
    tmp="$(mktemp -d)"; \
    fetch() { python -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$1" "$2" \
      && echo "$3  $2" | sha256sum --check --strict -; }; \
    fetch "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz" "${tmp}/helm.tar.gz" "${HELM_SHA256}" \
    && tar -xzf "${tmp}/helm.tar.gz" -C /usr/local/bin --strip-components=1 linux-amd64/helm \
    && fetch "https://github.com/helmfile/helmfile/releases/download/v${HELMFILE_VERSION}/helmfile_${HELMFILE_VERSION}_linux_amd64.tar.gz" \
         "${tmp}/helmfile.tar.gz" "${HELMFILE_SHA256}" \
    && tar -xzf "${tmp}/helmfile.tar.gz" -C /usr/local/bin helmfile \
    && fetch "https://github.com/databus23/helm-diff/releases/download/${HELM_DIFF_VERSION}/helm-diff-linux-amd64.tgz" \
         "${tmp}/helm-diff.tgz" "${HELM_DIFF_SHA256}" \
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

# Then the code: the library (installed without touching the dependencies) and the entrypoints.
COPY README.md /opt/release-kit/README.md
COPY shared/ /opt/release-kit/shared/
COPY actions/ /opt/release-kit/actions/
RUN pip install --no-cache-dir --no-deps /opt/release-kit \
    && rm -rf /opt/release-kit/build /opt/release-kit/shared/*.egg-info \
    && release-kit --help

ENTRYPOINT ["/opt/venv/bin/release-kit"]
