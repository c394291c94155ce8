"""Reintegration of a release branch into the default branch (the ``reintegrate-pr`` action).

Pure decisions (``plan``, ``branching``, ``content``, ``reviewers``, ``pulls``, ``guidance``,
``mergeability``, ``report``) are functions of plain data (``model``);
:mod:`release_kit.reintegrate` applies a plan through the GitHub side,
:mod:`release_kit.github.reintegration`.
"""
