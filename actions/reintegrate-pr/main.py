"""reintegrate-pr: bring a branch (the hotfixes of a release branch, or the production line)
into one or more downstream branches.

1. Check the inputs, then that the source and every target exist (nothing is written before).
2. For each target, compare target...source: nothing new in the source means up-to-date.
3. With fast-forward, a target with no commits of its own is moved to the source (refs API,
   never forced); otherwise (or when GitHub refuses the move) a pull request from an
   intermediate branch of that target: move the branch forward, open or update the PR, request
   reviews, report conflicts; or, when workflows may not open PRs, fail or open an issue.
4. Write the outputs (the first target's, and every target's as JSON) and the step summary.
   With several targets, one that fails does not stop the others; the step fails at the
   end, naming them.

The model of action.yml and that orchestration are :mod:`release_kit.reintegrate`.
"""

from release_kit.action.runner import run
from release_kit.reintegrate import ReintegrateInputs, reintegrate_pr

if __name__ == "__main__":
    raise SystemExit(run(ReintegrateInputs, reintegrate_pr))
