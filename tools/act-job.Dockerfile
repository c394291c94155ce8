# act's job image for `runs-on: ubuntu-latest` in the self-test (`make act`): what the workflow's
# shell steps use (bash, Python with venv, git). tools/docker-engine.sh builds it from the local
# python:3.12-slim (pulled, or the offline stand-in, which has git already).
FROM python:3.12-slim
# hadolint ignore=DL3008
RUN if ! command -v git > /dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends git \
      && rm -rf /var/lib/apt/lists/*; \
    fi
LABEL io.release-kit.image=act-job
