"""deploy-helmfile: deploy, destroy or diff a service with helmfile; plan environments from labels.

Check every input, the event and the kubeconfig (nothing is written before that), refuse
untrusted triggers of preview/QA deploys, get cluster access, check that the namespace is
release-kit's, record a GitHub deployment, create the namespace, run helmfile, find the URL or
explain the failure, write outputs. The model of action.yml and that orchestration are
:mod:`release_kit.deploy`.
"""

from release_kit.action.runner import run
from release_kit.deploy import DeployInputs, deploy_helmfile

if __name__ == "__main__":
    raise SystemExit(run(DeployInputs, deploy_helmfile))
