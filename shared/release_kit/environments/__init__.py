"""Environments of the release process, as pure decisions (no I/O).

- ``kinds``: what an environment name means (preview, qa<N>, dev, staging, production, hotfix).
- ``naming``: which Kubernetes namespace an environment deploys into.
- ``plan``: the label controller (which environments a pull request event deploys or destroys).
- ``urls``: which URL an environment is reachable at.
- ``bookkeeping``: what happens to GitHub deployments around a deploy or destroy.

The GitHub side, which fetches and writes what ``bookkeeping`` decides, is
:mod:`release_kit.github.deployments`.
"""
