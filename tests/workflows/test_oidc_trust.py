"""Which job can assume which AWS role: the example trust policies (examples/service/iam/)
evaluated against the OIDC claims of every job that asks for a token, in every flow.

The claims come from the workflows themselves (tests/workflows/oidc.py walks the onboarding
example's calls into the reusable flows, as GitHub does, and writes the claims per GitHub's
documented formats); the table below is the intended answer. The same checks run on the trust
the README documented before (``sub: repo:acme/web:*``, one role for every job, production
falling back to it) and must fail there.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from release_kit.environments.plan import DEFAULT_ENV_LABELS
from tests.workflows.model import EXAMPLE, FLOWS, UNITS, WORKFLOWS, jobs, load, steps
from tests.workflows.oidc import (
    AWS_CREDENTIALS,
    ISSUER,
    PLATFORM,
    Event,
    JobToken,
    claims,
    example_policies,
    like,
    may_assume,
    tokens,
)

CALLER = EXAMPLE / ".github" / "workflows" / "release-kit.yml"
MANUAL = EXAMPLE / "optional" / "deploy-manual.yml"
DEPLOY_MANUAL = f"{PLATFORM}/.github/workflows/deploy-manual.yml@refs/tags/v1"

EVENTS = [
    Event("pr-opened", "pull_request", "refs/pull/7/merge", CALLER,
          base_ref="main", head_ref="feature/login"),
    Event("pr-labelled-deploy", "pull_request", "refs/pull/7/merge", CALLER,
          base_ref="main", head_ref="feature/login", environments=("preview",)),
    Event("pr-labelled-qa", "pull_request", "refs/pull/7/merge", CALLER,
          base_ref="main", head_ref="feature/login",
          environments=tuple(env for env in DEFAULT_ENV_LABELS if env != "preview")),
    Event("push-main", "push", "refs/heads/main", CALLER),
    Event("release-published", "release", "refs/tags/v1.4.0", CALLER),
    # The release train, a security release or the ticket published the draft and started the
    # release flow on the tag (release-train.yml): the same claims as a published release.
    Event("release-dispatched-on-tag", "workflow_dispatch", "refs/tags/v1.4.0", CALLER,
          dispatch_inputs={"release-ticket": '{"release": "1.4.0"}'}),
    Event("train-scheduled", "schedule", "refs/heads/main", CALLER),
    Event("push-release-branch", "push", "refs/heads/release/1.4.0", CALLER),
    Event("hotfix-pr-labelled", "pull_request", "refs/pull/8/merge", CALLER,
          base_ref="release/1.4.0", head_ref="fix/crash", environments=("hotfix",)),
    Event("dispatch-production-from-tag", "workflow_dispatch", "refs/tags/v1.4.0", MANUAL,
          dispatch_inputs={"environment": "production", "version": "1.4.0"}),
    Event("dispatch-staging-from-tag", "workflow_dispatch", "refs/tags/v1.4.0", MANUAL,
          dispatch_inputs={"environment": "staging", "version": "1.4.0"}),
    Event("dispatch-dev-from-main", "workflow_dispatch", "refs/heads/main", MANUAL,
          dispatch_inputs={"environment": "dev", "version": "1.4.0"}),
    Event("dispatch-production-from-main", "workflow_dispatch", "refs/heads/main", MANUAL,
          dispatch_inputs={"environment": "production", "version": "1.4.0"}),
]

QA = [env for env in DEFAULT_ENV_LABELS if env != "preview"]
PR = "release-kit/feature-branch"
HOTFIX_PR = "release-kit/hotfix-pr/hotfix"

# (event, job) -> the role the job can assume (None: none; its deploy is refused by AWS).
EXPECTED: dict[tuple[str, str], str | None] = {
    ("pr-opened", f"{PR}/build/image"): "build",
    ("pr-labelled-deploy", f"{PR}/build/image"): "build",
    ("pr-labelled-deploy", f"{PR}/deploy[preview]"): "preview",
    ("pr-labelled-deploy", f"{PR}/destroy[preview]"): "preview",
    ("pr-labelled-qa", f"{PR}/build/image"): "build",
    **{("pr-labelled-qa", f"{PR}/{job}[{env}]"): "preview"
       for env in QA for job in ("deploy", "destroy")},
    ("push-main", "release-kit/main-branch/build/image"): "build",
    ("push-main", "release-kit/main-branch/dev/deploy"): "dev",
    ("release-published", "release-kit/release/promote"): "build",
    ("release-published", "release-kit/release/staging/deploy"): "staging",
    ("release-published", "release-kit/release/production/deploy"): "production",
    ("release-dispatched-on-tag", "release-kit/release/promote"): "build",
    ("release-dispatched-on-tag", "release-kit/release/staging/deploy"): "staging",
    ("release-dispatched-on-tag", "release-kit/release/production/deploy"): "production",
    ("push-release-branch", "release-kit/hotfix-release/build/image"): "build",
    ("push-release-branch", "release-kit/hotfix-release/promote"): "build",
    ("push-release-branch", "release-kit/hotfix-release/production/deploy"): "production",
    ("hotfix-pr-labelled", f"{HOTFIX_PR}/build/image"): "build",
    ("hotfix-pr-labelled", f"{HOTFIX_PR}/deploy[hotfix]"): "preview",
    ("hotfix-pr-labelled", f"{HOTFIX_PR}/destroy[hotfix]"): "preview",
    ("dispatch-production-from-tag", "deploy-manual/deploy/deploy"): "production",
    ("dispatch-staging-from-tag", "deploy-manual/deploy/deploy"): "staging",
    ("dispatch-dev-from-main", "deploy-manual/deploy/deploy"): "dev",
    # Production trusts runs of a release tag or branch: started from main, AWS refuses it.
    ("dispatch-production-from-main", "deploy-manual/deploy/deploy"): None,
}

OLD_TRUST = {  # examples/service/README.md before issue 12: one CI/CD role, every job
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{ISSUER}:sub": "repo:acme/web:*"}},
    }],
}
ROLES = ("build", "preview", "dev", "staging", "production")


def all_tokens() -> list[JobToken]:
    return [token for event in EVENTS for token in tokens(event)]


def adversaries() -> list[tuple[str, dict[str, str]]]:
    """Tokens a person with write access (or a PR's own workflow) can get GitHub to issue."""
    def token(event: Event, environment: str | None, job_workflow_ref: str) -> dict[str, str]:
        return claims(event, environment=environment, job_workflow_ref=job_workflow_ref)

    pr = Event("pr", "pull_request", "refs/pull/9/merge", CALLER, base_ref="main",
               head_ref="evil")
    push = Event("push", "push", "refs/heads/evil", CALLER)
    own = "acme/web/.github/workflows/evil.yml@refs/heads/evil"
    return [
        # A same-repository PR whose workflow (from the PR head) calls deploy-manual itself.
        ("PR workflow -> deploy-manual in production", token(pr, "production", DEPLOY_MANUAL)),
        ("PR workflow -> deploy-manual in staging", token(pr, "staging", DEPLOY_MANUAL)),
        ("PR workflow -> deploy-manual in dev", token(pr, "dev", DEPLOY_MANUAL)),
        # A branch pushed with its own workflow, in an environment or calling deploy-manual.
        ("branch workflow in production", token(push, "production", own)),
        ("branch workflow -> deploy-manual in production", token(push, "production",
                                                                  DEPLOY_MANUAL)),
        ("branch workflow -> deploy-manual in staging", token(push, "staging", DEPLOY_MANUAL)),
        ("branch workflow, no environment", token(push, None, own)),
        ("PR workflow, no environment", token(pr, None, own)),
        ("PR workflow in preview, its own file", token(pr, "preview", own)),
    ]


def assumable(policies: dict[str, dict[str, Any]], token: dict[str, str]) -> set[str]:
    return {role for role, policy in policies.items() if may_assume(policy, token)}


def violations(policies: dict[str, dict[str, Any]]) -> list[str]:
    """What the trust must never allow: a job reaching a role it does not use; staging or
    production from anything but its deploy job of a release; any role for an adversary."""
    found = []
    for token in all_tokens():
        extra = assumable(policies, dict(token.claims)) - {token.role}
        if extra:
            found.append(f"{token.event} {token.path} (uses {token.role}) can assume "
                         f"{sorted(extra)}")
    for name, token in adversaries():
        reached = assumable(policies, token)
        if reached:
            found.append(f"{name} can assume {sorted(reached)}")
    return found


# -- the claims -----------------------------------------------------------------------------

def test_every_job_that_asks_for_a_token_is_covered() -> None:
    """Every job of the flows with configure-aws-credentials (and only those ask for id-token)
    appears in at least one event, so no job escapes the table."""
    covered = {(token.workflow_file, token.job) for token in all_tokens()}
    asking = set()
    for name in (*FLOWS, *UNITS):
        for job_id, job in jobs(load(WORKFLOWS / f"{name}.yml")).items():
            uses_oidc = any(s.uses.startswith(AWS_CREDENTIALS)
                            for s in steps(name, load(WORKFLOWS / f"{name}.yml"))
                            if s.job == job_id)
            if uses_oidc:
                asking.add((f"{name}.yml", job_id))
            elif "uses" not in job:
                assert (job.get("permissions") or {}).get("id-token") != "write", (
                    f"{name}.yml jobs.{job_id} asks for id-token without using it")
    assert covered == asking
    assert {(t.event, t.path) for t in all_tokens()} == set(EXPECTED)


def by_path(event: str, path: str) -> JobToken:
    [token] = [t for t in all_tokens() if t.event == event and t.path == path]
    return token


@pytest.mark.parametrize(("event", "path", "sub", "extra"), [
    ("pr-opened", f"{PR}/build/image", "repo:acme/web:pull_request",
     {"ref": "refs/pull/7/merge", "event_name": "pull_request", "base_ref": "main",
      "job_workflow_ref": f"{PLATFORM}/.github/workflows/build.yml@refs/tags/v1",
      "workflow_ref": "acme/web/.github/workflows/release-kit.yml@refs/pull/7/merge"}),
    ("pr-labelled-deploy", f"{PR}/deploy[preview]", "repo:acme/web:environment:preview",
     {"environment": "preview", "ref": "refs/pull/7/merge",
      "job_workflow_ref": f"{PLATFORM}/.github/workflows/feature-branch.yml@refs/tags/v1"}),
    ("hotfix-pr-labelled", f"{HOTFIX_PR}/deploy[hotfix]", "repo:acme/web:environment:hotfix",
     {"base_ref": "release/1.4.0",  # hotfix-pr calls feature-branch: the job is defined there
      "job_workflow_ref": f"{PLATFORM}/.github/workflows/feature-branch.yml@refs/tags/v1"}),
    ("push-main", "release-kit/main-branch/build/image", "repo:acme/web:ref:refs/heads/main",
     {"event_name": "push", "ref_type": "branch"}),
    ("release-published", "release-kit/release/promote", "repo:acme/web:ref:refs/tags/v1.4.0",
     {"ref_type": "tag",
      "job_workflow_ref": f"{PLATFORM}/.github/workflows/release.yml@refs/tags/v1"}),
    ("release-published", "release-kit/release/production/deploy",
     "repo:acme/web:environment:production",
     {"environment": "production", "ref": "refs/tags/v1.4.0", "event_name": "release",
      "job_workflow_ref": DEPLOY_MANUAL}),
    ("push-release-branch", "release-kit/hotfix-release/production/deploy",
     "repo:acme/web:environment:production", {"ref": "refs/heads/release/1.4.0"}),
    ("dispatch-dev-from-main", "deploy-manual/deploy/deploy", "repo:acme/web:environment:dev",
     {"event_name": "workflow_dispatch",
      "workflow_ref": "acme/web/optional/deploy-manual.yml@refs/heads/main"}),
])
def test_claims_follow_githubs_documented_formats(event: str, path: str, sub: str,
                                                   extra: dict[str, str]) -> None:
    token = by_path(event, path)
    assert token.claims["sub"] == sub
    assert token.claims["aud"] == "sts.amazonaws.com"
    for claim, value in extra.items():
        assert token.claims[claim] == value, claim
    assert ("environment" in token.claims) == (":environment:" in sub)


# -- the trust ------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda key: f"{key[0]}:{key[1]}")
def test_each_job_can_assume_the_role_it_uses_and_no_other(key: tuple[str, str]) -> None:
    token = by_path(*key)
    expected = EXPECTED[key]
    reached = assumable(example_policies(), dict(token.claims))
    assert reached == ({expected} if expected else set()), (token.role_arn, token.claims)
    if expected:
        assert token.role == expected, f"{token.path} passes {token.role_arn}"


def test_the_example_trust_has_one_policy_per_role_and_no_violations() -> None:
    policies = example_policies()
    assert set(policies) == set(ROLES)
    assert violations(policies) == []


def test_production_is_reached_only_from_the_production_environment_of_a_release() -> None:
    production = example_policies()["production"]
    reaching = [t for t in all_tokens() if may_assume(production, dict(t.claims))]
    assert {(t.event, t.path) for t in reaching} == {
        ("release-published", "release-kit/release/production/deploy"),
        ("release-dispatched-on-tag", "release-kit/release/production/deploy"),
        ("push-release-branch", "release-kit/hotfix-release/production/deploy"),
        ("dispatch-production-from-tag", "deploy-manual/deploy/deploy"),
    }
    for token in reaching:
        assert token.claims["sub"] == "repo:acme/web:environment:production"


def test_pull_request_and_dev_roles_reach_nothing_beyond_their_environments() -> None:
    policies = example_policies()
    for token in all_tokens():
        env = token.claims.get("environment")
        reached = assumable(policies, dict(token.claims))
        if token.claims["event_name"] == "pull_request":
            assert reached <= {"build", "preview"}, token.path
        if reached & {"preview"}:
            assert env in ("preview", "hotfix", *QA), token.path
        if reached & {"dev"}:
            assert env == "dev" and token.claims["ref"] == "refs/heads/main", token.path


def test_the_old_trust_fails_the_same_checks() -> None:
    """``sub: repo:acme/web:*`` for one role used everywhere (production's fallback included):
    a preview deploy from a PR head, a PR's own workflow and any branch workflow reach it."""
    found = violations(dict.fromkeys(ROLES, OLD_TRUST))
    assert any(v.startswith("pr-labelled-deploy release-kit/feature-branch/deploy[preview]")
               and "production" in v for v in found), found
    assert any(v.startswith("PR workflow -> deploy-manual in production") for v in found)
    assert any(v.startswith("branch workflow in production") for v in found)
    # Every adversary gets in, and every job reaches every role.
    assert len(found) == len(all_tokens()) + len(adversaries())


@pytest.mark.parametrize(("ref", "event_name", "reach"), [
    ("refs/pull/9/merge", "pull_request", {"build", "preview"}),
    ("refs/heads/feature/x", "push", set()),
    ("refs/heads/main", "push", {"build", "dev"}),
    ("refs/heads/release/9.9.9", "push", {"build", "production"}),
    ("refs/tags/v9.9.9", "release", {"build", "staging", "production"}),
])
def test_what_any_workflow_of_a_ref_can_reach(ref: str, event_name: str,
                                               reach: set[str]) -> None:
    """Every token a workflow run on ``ref`` could carry (any environment, its own workflow
    file or any of the platform's): the union of the roles it reaches. A PR reaches only what
    its own flow uses (build and preview: by design its image and helmfile are deployed there);
    staging and production need a release tag or branch, so who may create those (rulesets)
    and deploy to the environments (their protection rules) is what guards them."""
    event = Event("any", event_name, ref, CALLER, base_ref="main" if event_name ==
                  "pull_request" else "", head_ref="x" if event_name == "pull_request" else "")
    files = ["build", "feature-branch", "main-branch", "release", "hotfix-release",
             "hotfix-pr", "deploy-manual"]
    refs = [f"{PLATFORM}/.github/workflows/{f}.yml@refs/tags/v1" for f in files]
    refs.append(f"acme/web/.github/workflows/own.yml@{ref}")
    environments = [None, "preview", "qa1", "hotfix", "dev", "staging", "production"]
    policies = example_policies()
    reached: set[str] = set()
    for environment in environments:
        for job_workflow_ref in refs:
            token = claims(event, environment=environment, job_workflow_ref=job_workflow_ref)
            reached |= assumable(policies, token)
    assert reached == reach


# -- the evaluator can tell (its own failure modes) -------------------------------------------

def statement(condition: dict[str, Any], effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": f"arn:aws:iam::1:oidc-provider/{ISSUER}"},
            "Condition": condition}


def test_string_like_wildcards_are_iams() -> None:
    assert like("repo:acme/web:*", "repo:acme/web:environment:production")
    assert like("repo:acme/web:environment:qa?", "repo:acme/web:environment:qa3")
    assert not like("repo:acme/web:environment:qa?", "repo:acme/web:environment:qa10")
    assert not like("repo:acme/web:*", "repo:acme/web-evil:pull_request")
    assert not like("refs/tags/v*", "refs/heads/v1")
    assert not like("Repo:acme/web:*", "repo:acme/web:pull_request")  # case-sensitive
    assert like("a.b", "a.b") and not like("a.b", "axb")  # only * and ? are wildcards


def test_conditions_and_keys_and_values_or() -> None:
    key = f"{ISSUER}:sub"
    token = {"sub": "repo:acme/web:environment:dev", "ref": "refs/heads/main"}
    both = {"StringEquals": {key: ["x", "repo:acme/web:environment:dev"],
                             f"{ISSUER}:ref": "refs/heads/main"}}
    assert may_assume({"Statement": [statement(both)]}, token)
    assert not may_assume({"Statement": [statement(both)]}, token | {"ref": "refs/heads/x"})
    missing = {"StringEquals": {f"{ISSUER}:environment": "dev"}}
    assert not may_assume({"Statement": [statement(missing)]}, token)  # no such claim: no
    assert may_assume({"Statement": [statement({"StringNotEquals": {
        f"{ISSUER}:environment": "production"}})]}, token)  # negated: absent satisfies it
    deny = statement({"StringLike": {key: "*"}}, effect="Deny")
    assert not may_assume({"Statement": [statement(both), deny]}, token)
    with pytest.raises(ValueError, match="ForAllValues"):
        may_assume({"Statement": [statement({"ForAllValues:StringEquals": {key: "x"}})]}, token)
    other_provider = statement(both) | {"Principal": {"Federated": "arn:aws:iam::1:saml/x"}}
    assert not may_assume({"Statement": [other_provider]}, token)


def test_the_policies_are_plain_json_for_iam() -> None:
    for path in sorted((EXAMPLE / "iam").glob("*.json")):
        policy = json.loads(path.read_text())
        assert policy["Version"] == "2012-10-17"
        for stmt in policy["Statement"]:
            assert stmt["Condition"]["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
            keys = {k for block in stmt["Condition"].values() for k in block}
            assert f"{ISSUER}:sub" in keys and f"{ISSUER}:job_workflow_ref" in keys, path.name


# -- required roles: a named error in the workflow, not a fallback ---------------------------

def check_step(flow: str, job: str) -> dict[str, Any]:
    [step] = [s.data for s in steps(flow, load(WORKFLOWS / f"{flow}.yml"))
              if s.job == job and str(s.data.get("name", "")).startswith("The role")]
    return step


def run_check(flow: str, job: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    step = check_step(flow, job)
    assert set(env) == set(step["env"]), sorted(step["env"])
    return subprocess.run(["bash", "-euo", "pipefail", "-c", step["run"]], env={
        "PATH": os.environ["PATH"], **env}, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("flow", "job", "given", "missing"), [
    ("release", "prepare", {"DEPLOY_PRODUCTION": "true", "STAGING_ROLE": "arn:s"},
     ["production-aws-role-arn", "production-cluster"]),
    ("release", "prepare", {"DEPLOY_PRODUCTION": "true", "PRODUCTION_ROLE": "arn:p",
                            "PRODUCTION_CLUSTER": "prod"}, ["staging-aws-role-arn"]),
    ("hotfix-release", "plan", {"DEPLOY_PRODUCTION": "true", "PRODUCTION_CLUSTER": "prod"},
     ["production-aws-role-arn"]),
    ("main-branch", "version", {}, ["dev-aws-role-arn"]),
    ("feature-branch", "deploy", {}, ["preview-aws-role-arn"]),
    ("feature-branch", "destroy", {}, ["preview-aws-role-arn"]),
])
def test_a_missing_role_is_a_named_error_before_anything_is_written(
        flow: str, job: str, given: dict[str, str], missing: list[str]) -> None:
    names = set(check_step(flow, job)["env"])
    result = run_check(flow, job, {name: given.get(name, "") for name in names})
    assert result.returncode == 1
    titles = [line.split("::")[1] for line in result.stdout.splitlines()
              if line.startswith("::error ")]
    assert titles == [f"error title=Missing input {name}" for name in missing]
    first = jobs(load(WORKFLOWS / f"{flow}.yml"))[job]["steps"]
    index = [s.get("name") for s in first].index(check_step(flow, job)["name"])
    assert not any(str(s.get("uses", "")).startswith(AWS_CREDENTIALS) or "gh api" in
                   str(s.get("run", "")) or "acme-platform" in str(s.get("uses", ""))
                   for s in first[:index]), "the check runs before any write or role"


@pytest.mark.parametrize(("flow", "job", "env"), [
    ("release", "prepare", {"DEPLOY_PRODUCTION": "true", "STAGING_ROLE": "arn:s",
                            "PRODUCTION_ROLE": "arn:p", "PRODUCTION_CLUSTER": "prod"}),
    ("release", "prepare", {"DEPLOY_PRODUCTION": "false", "STAGING_ROLE": "arn:s",
                            "PRODUCTION_ROLE": "", "PRODUCTION_CLUSTER": ""}),
    ("hotfix-release", "plan", {"DEPLOY_PRODUCTION": "false", "PRODUCTION_ROLE": "",
                                "PRODUCTION_CLUSTER": ""}),
    ("main-branch", "version", {"DEV_ROLE": "arn:d"}),
    ("feature-branch", "deploy", {"ROLE": "arn:p"}),
])
def test_given_roles_pass_the_check(flow: str, job: str, env: dict[str, str]) -> None:
    result = run_check(flow, job, env)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("flow", ["release", "hotfix-release"])
def test_production_has_no_fallback_to_the_generic_role_or_cluster(flow: str) -> None:
    given = jobs(load(WORKFLOWS / f"{flow}.yml"))["production"]["with"]
    assert given["aws-role-arn"] == "${{ inputs.production-aws-role-arn }}"
    assert given["cluster"] == "${{ inputs.production-cluster }}"
    assert given["helm-role-arn"] == "${{ inputs.production-helm-role-arn }}"
    assert given["environment"] == "${{ inputs.production-environment }}"
