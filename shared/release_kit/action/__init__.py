"""The runtime contract with the GitHub Actions runner, used by every entrypoint.

- :mod:`.inputs`: the inputs model's base and value types (``INPUT_*``, @actions/core rules).
- :mod:`.runner`: ``run`` (inputs -> the action -> exit code) and the ``Runtime`` it hands over.
- :mod:`.context`: the ``GITHUB_*`` context and the event payload.
- :mod:`.outputs`: step outputs and the step summary.
- :mod:`.commands`: workflow commands (groups, masks, annotations): the one writer of the log.
- :mod:`.cancel`: SIGTERM as a cancellation the action winds down from.
- :mod:`.metadata` and :mod:`.folders`: an action's ``action.yml``, and where actions are.

Import the module you need: this package imports none of them, so ``commands`` (used by
adapters and by the ``eks-token`` plugin) loads nothing of the inputs model or the runner.
"""
