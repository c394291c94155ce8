"""promote-image's orchestration: the imperative shell around ``registry`` (plan, apply).

- :mod:`.inputs`: ``PromoteInputs``, the model of action.yml: places, credentials, tags.
- :mod:`.run`: ``promote_image``: plan, check the revision, apply unless dry-run, report.
"""

from release_kit.promote.inputs import PromoteInputs
from release_kit.promote.run import promote_image

__all__ = ["PromoteInputs", "promote_image"]
