"""Structural rules of the reusable workflows (issue 8, section 1), checked on the parsed YAML.

Permissions are checked in both directions: every permission a job holds is justified by a step
that needs it, and every step gets what it needs. A job that calls a reusable workflow must grant
exactly the union of what the called workflow's jobs ask for (GitHub refuses a called job that
asks for more than its caller grants; granting more than needed would be excess).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.workflows.model import (
    FLOWS,
    OWNED,
    SELF_TEST,
    SHA_PINNED,
    SUITE,
    SUITE_REF,
    TICKET_FLOWS,
    UNITS,
    WORKFLOWS,
    Step,
    action_metadata,
    call_inputs,
    call_secrets,
    jobs,
    load,
    required_inputs,
    steps,
    suite_action,
    suite_workflow,
    triggers,
    workflow_path,
)

LEVEL = {"none": 0, "read": 1, "write": 2}
SCOPES = {"actions", "contents", "deployments", "id-token", "issues", "pull-requests"}
CHECKOUT = "actions/checkout@"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@"
WRITE_API = re.compile(r"gh api --method (POST|PATCH|PUT|DELETE)")

Permissions = dict[str, str]


def workflow(name: str) -> dict[str, Any]:
    return load(workflow_path(name))


def merge(into: Permissions, extra: Permissions) -> Permissions:
    for scope, level in extra.items():
        if LEVEL[level] > LEVEL[into.get(scope, "none")]:
            into[scope] = level
    return into


def step_needs(step: Step) -> Permissions:
    """What a step needs from the job token (the self-test runs against the sandbox: nothing)."""
    if step.workflow == SELF_TEST:
        return {"contents": "read"} if step.uses.startswith(CHECKOUT) else {}
    action = suite_action(step.uses)
    operation = str(step.with_.get("operation", ""))
    if step.uses.startswith(CHECKOUT):
        return {"contents": "read"}
    if step.uses.startswith(AWS_CREDENTIALS):
        return {"id-token": "write"}
    if action == "deploy-helmfile":
        return {"deployments": "read"} if operation == "plan" else {"deployments": "write"}
    if action == "semver-bump":
        dry = str(step.with_.get("dry-run", "false")).lower() == "true"
        if operation == "publish":
            return {"contents": "write"}
        if operation == "train":  # the draft kept current; the PRs; the freeze issues
            drafts = str(step.with_.get("draft-release", "true")).lower() != "false"
            return {"pull-requests": "read", "issues": "read",
                    "contents": "write" if drafts and not dry else "read"}
        if operation == "preview":  # the PR's merge, its labels, and its one comment
            return {"pull-requests": "write"}
        return {"pull-requests": "read", **({} if dry else {"contents": "write"})}
    if action == "release-ticket":  # targets: workflow_dispatch (the job's token, this repo)
        return {"issues": "write", **({"actions": "write"} if step.with_.get("targets") else {})}
    if action == "reintegrate-pr":  # dispatch-workflow: the cascade's workflow_dispatch
        cascade = {"actions": "write"} if step.with_.get("dispatch-workflow") else {}
        return {"contents": "write", "pull-requests": "write", "issues": "write", **cascade}
    if action == "promote-image" and operation == "identity":
        return {"contents": "read"}  # the refs a tag template names
    if WRITE_API.search(str(step.data.get("run", ""))):
        return {"contents": "write"}
    return {}


def step_justifies(step: Step) -> Permissions:
    """What a step may justify: its needs, plus the PR comment/label of a shared environment."""
    justified = dict(step_needs(step))
    if step.workflow == SELF_TEST:
        return justified
    if suite_action(step.uses) == "deploy-helmfile" and step.with_.get("operation") != "plan":
        merge(justified, {"pull-requests": "write"})
    return justified


def job_permissions(name: str, job_id: str) -> Permissions:
    return dict(jobs(workflow(name))[job_id].get("permissions") or {})


def called_union(file: str) -> Permissions:
    """The union of the permissions of every job of a reusable workflow, recursively."""
    called = load(WORKFLOWS / file)
    union: Permissions = {}
    for job in jobs(called).values():
        merge(union, dict(job.get("permissions") or {}))
    return union


def all_jobs() -> list[tuple[str, str]]:
    return [(name, job_id) for name in OWNED for job_id in jobs(workflow(name))]


def all_steps() -> list[Step]:
    return [step for name in OWNED for step in steps(name, workflow(name))]


def step_id(step: Step) -> str:
    return f"{step.workflow}:{step.job}:{step.index}"


# -- the files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", OWNED)
def test_file_exists_and_top_level_permissions_are_empty(name: str) -> None:
    assert workflow(name).get("permissions") == {}, f"{name}.yml: top-level `permissions: {{}}`"


@pytest.mark.parametrize("name", (*FLOWS, *UNITS, *TICKET_FLOWS))
def test_reusable_workflows_are_called_with_workflow_call(name: str) -> None:
    assert "workflow_call" in triggers(workflow(name))


@pytest.mark.parametrize("name", OWNED)
def test_no_secrets_inherit(name: str) -> None:
    for job_id, job in jobs(workflow(name)).items():
        assert job.get("secrets") != "inherit", f"{name}.yml jobs.{job_id}: pass secrets explicitly"


# -- permissions ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "job_id"), all_jobs())
def test_every_job_declares_permissions_within_the_known_scopes(name: str, job_id: str) -> None:
    job = jobs(workflow(name))[job_id]
    assert "permissions" in job, f"{name}.yml jobs.{job_id}: explicit permissions"
    granted = job_permissions(name, job_id)
    assert set(granted) <= SCOPES, f"{name}.yml jobs.{job_id}: unexpected scopes {granted}"
    assert set(granted.values()) <= {"read", "write"}, granted


@pytest.mark.parametrize(("name", "job_id"), all_jobs())
def test_job_permissions_are_minimal(name: str, job_id: str) -> None:
    job = jobs(workflow(name))[job_id]
    granted = job_permissions(name, job_id)
    called = suite_workflow(str(job.get("uses", "")))
    if called:
        assert granted == called_union(called), (
            f"{name}.yml jobs.{job_id} grants {granted}; {called} needs {called_union(called)}")
        return
    job_steps = [s for s in steps(name, workflow(name)) if s.job == job_id]
    needed: Permissions = {}
    justified: Permissions = {}
    for step in job_steps:
        merge(needed, step_needs(step))
        merge(justified, step_justifies(step))
    for scope, level in needed.items():
        assert LEVEL[granted.get(scope, "none")] >= LEVEL[level], (
            f"{name}.yml jobs.{job_id}: needs {scope}: {level}, has {granted}")
    for scope, level in granted.items():
        assert LEVEL[justified.get(scope, "none")] >= LEVEL[level], (
            f"{name}.yml jobs.{job_id}: {scope}: {level} is not needed by any step")


# -- steps ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("step", all_steps(), ids=step_id)
def test_third_party_actions_are_pinned_by_full_sha(step: Step) -> None:
    if not step.uses or suite_action(step.uses):
        return
    assert not step.uses.startswith((SUITE, "$/")), (
        f"{step.where}: reference the suite's action as {SUITE}actions/<name>@{SUITE_REF}")
    assert SHA_PINNED.match(step.uses), f"{step.where}: pin {step.uses!r} by a 40-hex commit SHA"


@pytest.mark.parametrize("name", OWNED)
def test_pinned_actions_carry_a_version_comment(name: str) -> None:
    for line in workflow_path(name).read_text().splitlines():
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d", line), f"{name}.yml: add '# vX.Y.Z' to: {line.strip()}"


@pytest.mark.parametrize("step", all_steps(), ids=step_id)
def test_no_expression_in_run_scripts(step: Step) -> None:
    run = step.data.get("run")
    if run is not None:
        assert "${{" not in str(run), f"{step.where}: pass values through env:, not into run:"


@pytest.mark.parametrize("step", all_steps(), ids=step_id)
def test_checkout_does_not_persist_credentials(step: Step) -> None:
    if step.uses.startswith(CHECKOUT):
        assert step.with_.get("persist-credentials") is False, f"{step.where}"


@pytest.mark.parametrize("step", [s for s in all_steps() if suite_action(s.uses)], ids=step_id)
def test_action_references_match_their_action_yml(step: Step) -> None:
    name = suite_action(step.uses)
    assert name is not None
    metadata = action_metadata(name)
    assert metadata is not None, f"{step.where}: actions/{name}/action.yml does not exist"
    inputs = metadata.get("inputs") or {}
    unknown = set(step.with_) - set(inputs)
    assert not unknown, f"{step.where}: {sorted(unknown)} are not inputs of {name}"
    missing = required_inputs(inputs) - set(step.with_)
    assert not missing, f"{step.where}: required inputs {sorted(missing)} of {name} are missing"


@pytest.mark.parametrize("name", (*FLOWS, *UNITS))
def test_reusable_workflows_reference_the_suite_at_its_release_tag(name: str) -> None:
    """Issue 8: `<owner>/github-actions/actions/<name>@<ref>`. In a reusable workflow `./` would be
    the caller's checkout (the service), not this repository; `$/` is the documented opt-in
    (examples/service/README.md, "Pinning"), not what the suite ships."""
    for step in steps(name, workflow(name)):
        if suite_action(step.uses):
            assert step.uses.startswith(SUITE), (
                f"{step.where}: use {SUITE}actions/<name>@{SUITE_REF}, not {step.uses!r}")
    for job_id, job in jobs(workflow(name)).items():
        if "uses" in job:
            assert suite_workflow(str(job["uses"])), (
                f"{name}.yml jobs.{job_id}: call {SUITE}.github/workflows/<file>@{SUITE_REF}")


@pytest.mark.parametrize("step", [s for s in all_steps() if suite_action(s.uses)], ids=step_id)
def test_step_outputs_read_by_the_workflow_are_declared(step: Step) -> None:
    step_key = step.data.get("id")
    if not step_key:
        return
    name = suite_action(step.uses)
    assert name is not None
    outputs = set((action_metadata(name) or {}).get("outputs") or {})
    text = workflow_path(step.workflow).read_text()
    used = set(re.findall(rf"steps\.{re.escape(step_key)}\.outputs\.([A-Za-z0-9_-]+)", text))
    assert used <= outputs, f"{step.where}: {sorted(used - outputs)} are not outputs of {name}"


# -- calls between workflows ----------------------------------------------------------------------

def calls() -> list[tuple[str, str]]:
    return [(name, job_id) for name, job_id in all_jobs()
            if suite_workflow(str(jobs(workflow(name))[job_id].get("uses", "")))]


@pytest.mark.parametrize(("name", "job_id"), calls())
def test_workflow_calls_pass_declared_inputs_and_secrets(name: str, job_id: str) -> None:
    job = jobs(workflow(name))[job_id]
    file = suite_workflow(str(job["uses"]))
    assert file is not None
    assert (WORKFLOWS / file).is_file(), f"{name}.yml jobs.{job_id}: no .github/workflows/{file}"
    called = load(WORKFLOWS / file)
    inputs, secrets = call_inputs(called), call_secrets(called)
    given = set(job.get("with") or {})
    assert given <= set(inputs), f"{name}.yml jobs.{job_id}: {sorted(given - set(inputs))}"
    missing = required_inputs(inputs) - given
    assert not missing, f"{name}.yml jobs.{job_id}: required inputs {sorted(missing)} missing"
    passed = set(job.get("secrets") or {})
    assert passed <= set(secrets), f"{name}.yml jobs.{job_id}: {sorted(passed - set(secrets))}"


@pytest.mark.parametrize("name", FLOWS)
def test_flows_share_one_service_profile(name: str) -> None:
    """One anchor in the caller configures every flow, so every flow declares the same profile."""
    reference = call_inputs(workflow("feature-branch"))
    profile = {k: v for k, v in reference.items() if k != "env-labels"}
    inputs = call_inputs(workflow(name))
    for key, spec in profile.items():
        assert key in inputs, f"{name}.yml lacks profile input {key}"
        for field in ("type", "default", "required"):
            assert inputs[key].get(field) == spec.get(field), f"{name}.yml inputs.{key}.{field}"


def test_deploy_manual_declares_the_deploy_part_of_the_profile() -> None:
    profile = call_inputs(workflow("feature-branch"))
    inputs = call_inputs(workflow("deploy-manual"))
    shared = {"service", "ecr-repository", "ecr-registry", "aws-region", "cluster", "aws-role-arn",
              "helm-role-arn", "helmfile", "url", "ticket-repository", "ticket-release"}
    for key in shared:
        for field in ("type", "default", "required"):
            assert inputs[key].get(field) == profile[key].get(field), f"inputs.{key}.{field}"


# -- deploys: environments, concurrency, failures -------------------------------------------------

def deploy_jobs() -> list[tuple[str, str]]:
    found = []
    for name, job_id in all_jobs():
        if name == SELF_TEST:
            continue
        for step in steps(name, workflow(name)):
            if (step.job == job_id and suite_action(step.uses) == "deploy-helmfile"
                    and step.with_.get("operation") in ("deploy", "destroy")):
                found.append((name, job_id))
                break
    return found


def test_the_deploy_jobs_are_found() -> None:
    assert {("feature-branch", "deploy"), ("feature-branch", "destroy"),
            ("deploy-manual", "deploy")} <= set(deploy_jobs())


@pytest.mark.parametrize(("name", "job_id"), deploy_jobs())
def test_deploy_jobs_run_in_an_environment_with_a_queueing_concurrency_group(
        name: str, job_id: str) -> None:
    job = jobs(workflow(name))[job_id]
    environment = job.get("environment")
    assert isinstance(environment, dict) and environment.get("name"), f"{name}.yml {job_id}"
    concurrency = job.get("concurrency")
    assert isinstance(concurrency, dict) and "${{" in str(concurrency.get("group")), (
        f"{name}.yml {job_id}: a concurrency group per environment")
    assert concurrency.get("cancel-in-progress") is False, "shared environments queue"


@pytest.mark.parametrize("name", ("main-branch", "release", "hotfix-release"))
def test_gated_deploys_go_through_deploy_manual(name: str) -> None:
    callers = [job for job in jobs(workflow(name)).values()
               if suite_workflow(str(job.get("uses", ""))) == "deploy-manual.yml"]
    assert callers, f"{name}.yml deploys through deploy-manual.yml"


def test_release_deploys_staging_then_production() -> None:
    release = jobs(workflow("release"))
    assert release["staging"]["with"]["environment"] == "${{ inputs.staging-environment }}"
    assert "staging" in release["production"]["needs"]
    assert call_inputs(workflow("release"))["staging-environment"]["default"] == "staging"
    assert call_inputs(workflow("release"))["production-environment"]["default"] == "production"


def notifier_jobs(name: str) -> dict[str, dict[str, Any]]:
    found = {}
    for step in steps(name, workflow(name)):
        job = jobs(workflow(name))[step.job]
        if (suite_action(step.uses) == "release-ticket"
                and step.with_.get("operation") == "notify-failure"
                and "failure()" in str(job.get("if", "")) + str(step.data.get("if", ""))):
            found[step.job] = job
    return found


def self_notifying(job: dict[str, Any]) -> bool:
    return suite_workflow(str(job.get("uses", ""))) in (
        "deploy-manual.yml", "feature-branch.yml", "sync.yml", "release-train.yml")


def ticket_only(name: str, job_id: str) -> bool:
    used = [s for s in steps(name, workflow(name)) if s.job == job_id]
    return bool(used) and all(suite_action(s.uses) == "release-ticket" for s in used)


@pytest.mark.parametrize("name", (*FLOWS, "deploy-manual", "sync", "start-release"))
def test_every_failure_path_notifies(name: str) -> None:
    """Each job either is watched by a notify-failure job (`if: failure()`, it `needs` the job),
    notifies on its own (deploy-manual, feature-branch), or only talks to the ticket."""
    notifiers = notifier_jobs(name)
    all_of_them = jobs(workflow(name))
    if name == "hotfix-pr":
        assert all(self_notifying(job) for job in all_of_them.values())
        return
    assert notifiers, f"{name}.yml has no `if: failure()` notify-failure"
    watched: set[str] = set(notifiers)
    for job in notifiers.values():
        needs = job.get("needs", [])
        watched |= {needs} if isinstance(needs, str) else set(needs)
    for job_id, job in all_of_them.items():
        assert job_id in watched or self_notifying(job) or ticket_only(name, job_id), (
            f"{name}.yml jobs.{job_id}: a failure there notifies nobody")


def test_build_and_test_commands_run_through_env() -> None:
    build = jobs(workflow("build"))["test"]["steps"]
    commands = {s["name"]: s for s in build if s.get("name") in ("Build", "Test")}
    assert commands["Build"]["env"] == {"BUILD_COMMAND": "${{ inputs.build-command }}"}
    assert commands["Build"]["run"] == 'bash -euo pipefail -c "$BUILD_COMMAND"'
    assert commands["Test"]["env"] == {"TEST_COMMAND": "${{ inputs.test-command }}"}


def test_feature_branch_matrices_are_guarded_against_empty_lists() -> None:
    feature = jobs(workflow("feature-branch"))
    for job_id, output in (("deploy", "deploy"), ("destroy", "destroy")):
        job = feature[job_id]
        assert f"needs.plan.outputs.{output} != '[]'" in job["if"]
        assert job["strategy"]["matrix"]["environment"] == (
            f"${{{{ fromJSON(needs.plan.outputs.{output}) }}}}")


# -- expressions name things that exist ----------------------------------------------------------

def expressions(value: object) -> list[str]:
    return re.findall(r"\$\{\{(.*?)\}\}", str(value), re.S)


def job_outputs(name: str, job_id: str) -> set[str]:
    job = jobs(workflow(name))[job_id]
    called = suite_workflow(str(job.get("uses", "")))
    if called:
        return set(triggers(load(WORKFLOWS / called))["workflow_call"].get("outputs") or {})
    return set(job.get("outputs") or {})


def step_ids_before(name: str, job_id: str, index: int | None) -> list[str]:
    found = []
    for step in steps(name, workflow(name)):
        if step.job == job_id and (index is None or step.index < index) and step.data.get("id"):
            found.append(str(step.data["id"]))
    return found


@pytest.mark.parametrize(("name", "job_id"), all_jobs())
def test_expressions_name_declared_inputs_needs_steps_and_secrets(name: str, job_id: str) -> None:
    flow = workflow(name)
    on = triggers(flow)
    declared_inputs: set[str] = set()
    for event in ("workflow_call", "workflow_dispatch"):
        declared_inputs |= set(((on.get(event) or {}).get("inputs")) or {})
    declared_secrets = set((on.get("workflow_call") or {}).get("secrets") or {})
    job = jobs(flow)[job_id]
    needs = job.get("needs", [])
    needs = {needs} if isinstance(needs, str) else set(needs)
    where = f"{name}.yml jobs.{job_id}"
    # Job-level keys see needs/inputs/matrix; each step also sees the steps before it.
    parts: list[tuple[int | None, object]] = [
        (None, {k: v for k, v in job.items() if k != "steps"})]
    parts += [(i, s) for i, s in enumerate(job.get("steps") or [])]
    for index, part in parts:
        for text in expressions(part):
            # (github.event.inputs is a dispatch's payload, not the workflow's inputs)
            for ref in re.findall(r"(?<![\w.])inputs\.([\w-]+)", text):
                assert ref in declared_inputs, f"{where}: inputs.{ref} is not declared"
            for ref in re.findall(r"\bsecrets\.([\w-]+)", text):
                assert ref in declared_secrets, f"{where}: secrets.{ref} is not declared"
            for ref, output in re.findall(r"\bneeds\.([\w-]+)(?:\.outputs\.([\w-]+))?", text):
                assert ref in needs, f"{where}: needs.{ref} but the job needs {sorted(needs)}"
                if output:
                    assert output in job_outputs(name, ref), f"{where}: needs.{ref}.outputs.{output}"
            for ref in re.findall(r"\bsteps\.([\w-]+)\.outputs", text):
                # A step's own `if:`/`with:` may only see the steps before it; job outputs all.
                assert ref in step_ids_before(name, job_id, index), f"{where}: steps.{ref}"
            if "matrix." in text:
                assert "matrix" in (job.get("strategy") or {}), f"{where}: matrix without strategy"


@pytest.mark.parametrize("name", (*FLOWS, *UNITS))
def test_workflow_outputs_come_from_existing_job_outputs(name: str) -> None:
    outputs = triggers(workflow(name))["workflow_call"].get("outputs") or {}
    for output, spec in outputs.items():
        for job_id, job_output in re.findall(r"jobs\.([\w-]+)\.outputs\.([\w-]+)", spec["value"]):
            assert job_output in job_outputs(name, job_id), f"{name}.yml outputs.{output}"
