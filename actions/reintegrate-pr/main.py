"""reintegrate-pr: bring a branch (the hotfixes of a release branch, or the production line)
into one or more downstream branches, by fast-forward or a pull request, then start the
cascade. The model of action.yml and that orchestration (its steps described there) are
:mod:`release_kit.reintegrate`.
"""

from release_kit.action.runner import run
from release_kit.reintegrate import ReintegrateInputs, reintegrate_pr

if __name__ == "__main__":
    raise SystemExit(run(ReintegrateInputs, reintegrate_pr))
