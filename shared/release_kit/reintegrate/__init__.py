"""reintegrate-pr's orchestration: the imperative shell around ``reintegration`` (pure).

- :mod:`.inputs`: ``ReintegrateInputs``, the model of action.yml.
- :mod:`.steps`: one target's plan carried out on GitHub, one idempotent step at a time.
- :mod:`.run`: ``reintegrate_pr``: check the branches, sync every target, write the outputs.
"""

from release_kit.reintegrate.inputs import ReintegrateInputs
from release_kit.reintegrate.run import reintegrate_pr

__all__ = ["ReintegrateInputs", "reintegrate_pr"]
