# One image for every release-kit action. On the main branch each actions/<name>/action.yml says
# `runs: {using: docker, image: ../../Dockerfile, args: [<name>]}`: the runner builds this file
# with the repository root as context at the start of every job that uses the action, and runs
# `release-kit <name>`. A release of the suite publishes the image built from this file once and
# its tag's action.yml files name that image by digest instead (`make release-tree`, docs/image.md):
# the jobs then pull it and build nothing.
#
# GitHub runs Docker actions as root with its own working directory (/github/workspace), so there
# is deliberately no USER and no WORKDIR here.
#
# Build arguments:
#   BASE_IMAGE          the image to start from: python:3.12-slim pinned by digest (what
#                       runners, act and releases build). Any Debian-based image with Python >= 3.11
#                       and pip (or venv) works; where no registry is reachable the tests and the
#                       benchmark pass a local stand-in (tools/docker-engine.sh, docs/image.md).
#   INSTALL_HELM_TOOLS  auto (default), true or false: whether helm/helmfile/helm-diff are
#                       installed (see below; without them deploy-helmfile cannot run)
#
# Dependencies: requirements/image.txt (hash-pinned, installed by uv with --require-hashes), uv
# itself from requirements/build.txt; `make lock` regenerates both and the digest below
# (docs/image.md). No layer of this file adds pip, setuptools, wheel, uv or a cache.
ARG BASE_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
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

# The runtime dependencies, in a layer of their own (a code change neither rebuilds nor ships it
# again): exactly the image lock's (`--no-deps`: the lock is the whole set; see
# requirements/image-excludes.txt for what it leaves out on purpose), wheels only, hash-checked,
# by uv, which this same step installs (hash-checked too) in /tmp and removes: no layer holds it.
# (One stage: a venv built in a builder stage and copied over cost the classic builder, which act
# and this repository's test engine use, 4-5 s more of a 20 s build.)
# Two trims of files the product never loads: kubernetes' asyncio client (kubernetes/aio, two
# thirds of that package) and botocore's models of the AWS services other than the ones the
# product calls (BOTOCORE_SERVICES; tests/container/test_image_build.py keeps the list in step
# with the code). release-kit.pth puts the product's folder (the next layer) on the venv's path.
# UV_LINK_MODE=hardlink: uv unpacks each wheel into its temporary cache (UV_NO_CACHE: removed when
# it exits) and links the files into the venv instead of copying them (5 s less here).
COPY requirements/build.txt requirements/image.txt /tmp/requirements/
RUN export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 UV_NO_CACHE=1 \
      UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=hardlink UV_SYSTEM_CERTS=1; \
    pip() { python3 -m pip "$@"; }; \
    if ! python3 -m pip --version > /dev/null 2>&1; then \
      python3 -m venv /tmp/pip-venv && pip() { /tmp/pip-venv/bin/python -m pip "$@"; }; \
    fi; \
    pip install --quiet --root-user-action=ignore --target /tmp/build-tools --no-deps \
      --only-binary :all: --require-hashes --requirement /tmp/requirements/build.txt \
    && /tmp/build-tools/bin/uv venv --quiet --python "$(command -v python3)" /opt/venv \
    && /tmp/build-tools/bin/uv pip install --quiet --python /opt/venv/bin/python --no-deps \
         --no-build --require-hashes --requirement /tmp/requirements/image.txt \
    && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && rm -rf "${site}/kubernetes/aio" \
    && BOTOCORE_SERVICES="ecr eks sts" \
    && for service in "${site}"/botocore/data/*/; do \
         case " ${BOTOCORE_SERVICES} " in *" $(basename "${service}") "*) ;; *) rm -rf "${service}";; esac; \
       done \
    && echo /opt/release-kit/lib > "${site}/release-kit.pth" \
    && rm -rf /tmp/build-tools /tmp/pip-venv /tmp/requirements /root/.cache

# helm, helmfile and the helm-diff plugin for deploy-helmfile, pinned and checked against their
# sha256 for linux/amd64 and linux/arm64 (the platforms a release publishes). The plugin goes to
# HELM_PLUGINS because the runner replaces HOME. Where the checksums come from: helm's are the
# ones its release notes publish (get.helm.sh/<tarball>.sha256sum); helm-diff's are the values
# independent public projects pin for the same release files (two agreeing sources each);
# helmfile's are the asset digests GitHub lists for its v1.1.7 release (the amd64 one also pinned
# by independent projects). Bumping a version means replacing its checksums from the release's.
#
# INSTALL_HELM_TOOLS=auto (the default) installs them, or skips them with a notice when their
# downloads cannot be reached: runners build this file without build arguments (act too), and an
# offline build must still give an image for the other four actions (deploy-helmfile then stops
# with "helmfile not found"). true makes an unreachable download an error (releases build with
# it); false skips them. A checksum mismatch fails the build whatever the mode.
ARG INSTALL_HELM_TOOLS=auto
RUN HELM_VERSION=v3.22.0 \
    HELM_SHA256_AMD64=1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb \
    HELM_SHA256_ARM64=f14e804dfee240f55525b667488fe9adca349e63e00c9af634c0beb1421ac310 \
    HELMFILE_VERSION=1.1.7 \
    HELMFILE_SHA256_AMD64=e9d870f4e502b9f0850d7e0546cab8b418ff7f44ff4df0ed54cd3df8dfda189c \
    HELMFILE_SHA256_ARM64=4402e1c1ed60edb1b245a272a4c427b465c9ea2ef0f463477c67d48eb88eb223 \
    HELM_DIFF_VERSION=v3.15.10 \
    HELM_DIFF_SHA256_AMD64=ffeff863e4a3cbe83282a13a55ee972f7497966dfb66f326a117f9b094fff161 \
    HELM_DIFF_SHA256_ARM64=6832085986feef54b7be82906f2516f3565fdd1be11c109737e8833f1e1c0a5c; \
    case "${INSTALL_HELM_TOOLS}" in \
      false) echo "INSTALL_HELM_TOOLS=false: skipping helm, helmfile and helm-diff"; exit 0;; \
      true|auto) ;; \
      *) echo "INSTALL_HELM_TOOLS must be auto, true or false (got '${INSTALL_HELM_TOOLS}')" >&2; exit 1;; \
    esac; \
    case "$(uname -m)" in \
      x86_64) arch=amd64; helm_sha="${HELM_SHA256_AMD64}"; helmfile_sha="${HELMFILE_SHA256_AMD64}"; diff_sha="${HELM_DIFF_SHA256_AMD64}";; \
      aarch64) arch=arm64; helm_sha="${HELM_SHA256_ARM64}"; helmfile_sha="${HELMFILE_SHA256_ARM64}"; diff_sha="${HELM_DIFF_SHA256_ARM64}";; \
      *) echo "helm tools are pinned for x86_64 and aarch64 only (got $(uname -m)); build with INSTALL_HELM_TOOLS=false" >&2; exit 1;; \
    esac; \
    tmp="$(mktemp -d)"; \
    fetch() { python3 -c 'import socket, sys, urllib.request; socket.setdefaulttimeout(60); urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "$1" "$2" 2>&1 | tail -n 1; }; \
    if ! { fetch "https://get.helm.sh/helm-${HELM_VERSION}-linux-${arch}.tar.gz" "${tmp}/helm.tar.gz" \
           && fetch "https://github.com/helmfile/helmfile/releases/download/v${HELMFILE_VERSION}/helmfile_${HELMFILE_VERSION}_linux_${arch}.tar.gz" \
                "${tmp}/helmfile.tar.gz" \
           && fetch "https://github.com/databus23/helm-diff/releases/download/${HELM_DIFF_VERSION}/helm-diff-linux-${arch}.tgz" \
                "${tmp}/helm-diff.tgz"; }; then \
      rm -rf "${tmp}"; \
      if [ "${INSTALL_HELM_TOOLS}" = true ]; then \
        echo "could not download the helm tools (INSTALL_HELM_TOOLS=true)" >&2; exit 1; \
      fi; \
      echo "::notice title=helm tools skipped::could not download helm, helmfile and helm-diff; this image runs every action but deploy-helmfile (INSTALL_HELM_TOOLS=true makes this an error)"; \
      exit 0; \
    fi; \
    printf '%s  %s\n' "${helm_sha}" "${tmp}/helm.tar.gz" "${helmfile_sha}" "${tmp}/helmfile.tar.gz" \
      "${diff_sha}" "${tmp}/helm-diff.tgz" | sha256sum --check --strict - \
    && tar -xzf "${tmp}/helm.tar.gz" -C /usr/local/bin --strip-components=1 "linux-${arch}/helm" \
    && tar -xzf "${tmp}/helmfile.tar.gz" -C /usr/local/bin helmfile \
    && mkdir -p "${HELM_PLUGINS}" \
    && tar -xzf "${tmp}/helm-diff.tgz" -C "${HELM_PLUGINS}" \
    && rm -rf "${tmp}" \
    && helm version --short \
    && helmfile --version \
    && helm plugin list | grep -q '^diff'

# The product, bytecode compiled (an action's start then skips compiling its modules; the
# dependencies are not compiled: 40 MB more for a tenth of a second), and the actions' folders
# (action.yml, main.py). The product is pure Python: its package is all an install would put in
# site-packages, and it reads no distribution metadata of its own (its tools are in the code; the
# release_kit.tools entry points come from other distributions, and none is installed here).
# shared/release_kit/actions is a link to ../../actions, copied as the link it is: here it points
# at /opt/release-kit/actions, where the next line puts the actions, so the CLI finds them in its
# package as it does in a checkout and a wheel. The sandbox (sandbox/) is not in the context.
COPY shared/release_kit/ /opt/release-kit/lib/release_kit/
RUN /opt/venv/bin/python -m compileall -q /opt/release-kit/lib
COPY actions/ /opt/release-kit/actions/

# Marks the images built from this file (tools/act-selftest.sh prunes the untagged ones it left).
LABEL org.opencontainers.image.title="release-kit"

# `release-kit <action>`, as the console script would run it; -P: the working directory (the
# caller's checkout, /github/workspace) is not put on the module path.
ENTRYPOINT ["/opt/venv/bin/python", "-P", "-m", "release_kit"]
