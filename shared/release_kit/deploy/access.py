"""How helmfile (a kubeconfig file) and this process (a Kube client) reach the cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from release_kit.action import commands
from release_kit.action.context import Context
from release_kit.aws import assume_role_chain, session_name
from release_kit.deploy.inputs import DeployInputs
from release_kit.deploy.job import Job
from release_kit.eks import kubeconfig
from release_kit.eks.token import Token, TokenCache, get_token
from release_kit.kube.api import Kube


@dataclass
class ClusterAccess:
    """A kubeconfig file for helmfile, and a way to open a Kube client for this process."""

    kubeconfig: Path
    connect: Callable[[], Kube]


@contextmanager
def cluster_access(inputs: DeployInputs, job: Job, ctx: Context,
                   tmp: Path) -> Iterator[ClusterAccess]:
    """The kubeconfig as given, or EKS: roles, DescribeCluster, a token minted and masked in
    this process and served to helm through a private cache file (see ``eks.token``)."""
    if job.kubeconfig is not None:
        path = job.kubeconfig
        yield ClusterAccess(path, lambda: Kube.from_kubeconfig(path))
        return
    name = session_name(ctx.repository, ctx.run_id)
    with commands.group(f"EKS access to {inputs.cluster} ({inputs.aws_region})"):
        session = assume_role_chain(inputs.aws_region, inputs.role_arns, name)
        cluster = kubeconfig.describe_cluster(session, inputs.cluster, inputs.aws_region)
        sessions = [session]

        def mint() -> Token:  # later tokens re-assume the chain: role sessions expire too
            current = sessions.pop() if sessions else assume_role_chain(
                inputs.aws_region, inputs.role_arns, name)
            return get_token(current, cluster.name, cluster.region)

        cache = TokenCache(tmp / "eks-token.json", cluster.name, mint)
        text = kubeconfig.render_kubeconfig(cluster, inputs.role_arns, name, job.namespace,
                                            token_cache=cache.path)
        path = kubeconfig.write(text, str(tmp))
        commands.info(f"endpoint {cluster.endpoint}; kubeconfig {path} (exec: release-kit "
                      "eks-token, serving the token this process minted and masked)")

    with cache.kept_fresh():
        yield ClusterAccess(path, lambda: Kube.from_token(cluster.endpoint,
                                                          cluster.certificate_authority,
                                                          cache.current().value))
