"""promote-image: give the image built for a commit its release tags, without a rebuild, in ECR
or any OCI distribution registry.

Parse inputs, expand the tag templates, plan (read-only), check the image's revision label
against the commit being released, apply unless dry-run, write outputs. The model of
action.yml and that orchestration are :mod:`release_kit.promote`.
"""

from release_kit.action.runner import run
from release_kit.promote import PromoteInputs, promote_image

if __name__ == "__main__":
    raise SystemExit(run(PromoteInputs, promote_image))
