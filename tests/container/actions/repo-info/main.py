"""Container-test fixture: read one repository through ``release_kit.github`` and output it."""

from release_kit.action.inputs import ActionInputs, SecretStr
from release_kit.action.runner import Runtime, run
from release_kit.github import connect


class Inputs(ActionInputs):
    repository: str
    github_token: SecretStr = SecretStr("")


def main(inputs: Inputs, rt: Runtime) -> None:
    api = connect(inputs.github_token.get_secret_value() or None, repository=inputs.repository)
    repo = api.get(f"/repos/{inputs.repository}", doing=f"reading {inputs.repository}")
    rt.outputs.update({"full-name": repo["full_name"], "default-branch": repo["default_branch"]})


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
