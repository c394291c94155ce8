# act's job image for `runs-on: ubuntu-latest` in the self-test (`make act`): what the workflow's
# shell steps use (bash, Python with venv, git). tools/docker-engine.sh builds it from the base it
# builds the action image from (the pinned python:3.12-slim, or the offline stand-in, which has
# git already).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN if ! command -v git > /dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends git \
      && rm -rf /var/lib/apt/lists/*; \
    fi
LABEL io.release-kit.image=act-job
