"""deploy-helmfile's orchestration: the imperative shell around ``environments`` (pure).

- :mod:`.inputs`: ``DeployInputs``, the model of action.yml, checked before anything runs.
- :mod:`.job`: the checks that need the run's context: environment, branch, trigger, namespace.
- :mod:`.access`: the cluster, through a kubeconfig or EKS (a token minted and masked here).
- :mod:`.record`: the GitHub deployment, from its creation to its last status.
- :mod:`.run`: ``deploy_helmfile``: plan, or deploy, destroy or diff one environment.
"""

from release_kit.deploy.inputs import DeployInputs
from release_kit.deploy.run import deploy_helmfile

__all__ = ["DeployInputs", "deploy_helmfile"]
