"""deploy-helmfile's inputs: the model of its ``action.yml``, checked before anything runs.

Checks that need the run's context (the event, the workspace, the kubeconfig file) are in
:func:`release_kit.deploy.job.prepare`.
"""

from __future__ import annotations

from typing import Literal, Self

from release_kit.action.inputs import (
    ActionInputs,
    Bool,
    Lines,
    SecretStr,
    YamlMapping,
    field,
    model_validator,
    parse_yaml_mapping,
    private_attr,
)
from release_kit.aws import validate_role_arn
from release_kit.environments.plan import DEFAULT_ENV_LABELS, parse_env_labels
from release_kit.errors import InputError
from release_kit.helmfile.argv import parse_set_lines

# action.yml's default of env-labels, as text
ENV_LABELS_TEXT = "\n".join(f"{env}: {label}" for env, label in DEFAULT_ENV_LABELS.items())


class DeployInputs(ActionInputs):
    operation: Literal["deploy", "destroy", "diff", "plan"] = "deploy"
    environment: str = ""
    cluster: str = ""
    aws_region: str = ""
    cicd_role_arn: str = ""
    helm_role_arn: str = ""
    kubeconfig: str = ""
    helmfile: str = "deploy/helmfile.yaml"
    namespace: str = ""
    image: str = ""
    image_tag: str = ""
    values: YamlMapping = {}
    state_values: Lines = field(default=[], alias="set")
    url: str = ""
    url_annotation: str = "outputs.webapp-url"
    github_deployment: Bool = True
    adopt_namespace: Bool = False
    confirm_destroy: str = ""
    env_labels: str = ENV_LABELS_TEXT
    timeout: int = field(default=600, gt=0)
    helmfile_args: Lines = []
    github_token: SecretStr = SecretStr("")

    _labels: dict[str, str] = private_attr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Checks across inputs that need no context (the rest are in ``job.prepare``)."""
        self._labels = _parse_env_labels(self.env_labels)
        parse_set_lines(self.state_values)
        if self.operation == "plan":
            return self
        if not self.environment:
            raise InputError("environment", f"required for operation {self.operation}.",
                             hint="Set environment: preview, qa<N>, dev, staging, production, "
                             "hotfix or another name.")
        if not self.kubeconfig:
            for name, value in (("cluster", self.cluster), ("aws-region", self.aws_region)):
                if not value:
                    raise InputError(name, "cluster access is not configured.",
                                     hint="Set cluster and aws-region (EKS), or kubeconfig.")
        for name, arn in (("cicd-role-arn", self.cicd_role_arn),
                          ("helm-role-arn", self.helm_role_arn)):
            if arn:
                validate_role_arn(arn, name)
        return self

    @property
    def labels(self) -> dict[str, str]:
        """``env-labels``, parsed once: environment -> PR label."""
        return self._labels

    @property
    def role_arns(self) -> list[str]:
        return [arn for arn in (self.cicd_role_arn, self.helm_role_arn) if arn]


def _parse_env_labels(text: str) -> dict[str, str]:
    try:
        mapping = parse_yaml_mapping(text)
    except ValueError as exc:
        raise InputError("env-labels", str(exc),
                         hint="Write one 'environment: label' per line.") from None
    assert isinstance(mapping, dict)
    return parse_env_labels(mapping)
