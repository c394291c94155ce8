"""Reintegration of a release branch into the default branch (the ``reintegrate-pr`` action).

Pure decisions (``plan``, ``branching``, ``content``, ``reviewers``, ``pulls``, ``guidance``,
``mergeability``, ``report``) are functions of plain data (``model``); ``adapter`` reads and
writes GitHub and ``steps`` applies a plan through it.
"""
