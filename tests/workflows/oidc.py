"""GitHub's OIDC claims for each job of the flows, and AWS's evaluation of a role trust policy.

Claims follow GitHub's OpenID Connect reference (docs.github.com, "OpenID Connect reference",
"Example subject claims"):

- ``sub`` is ``repo:<owner>/<repo>:environment:<name>`` when the job runs in an environment (this
  wins over everything else), else ``repo:<owner>/<repo>:pull_request`` for a pull_request event,
  else ``repo:<owner>/<repo>:ref:<ref>`` (``refs/heads/...`` or ``refs/tags/...``); a ``:`` inside
  a value is written ``%3A``;
- ``aud`` is what the job asks for: aws-actions/configure-aws-credentials asks for
  ``sts.amazonaws.com``;
- ``ref`` is the ref of the run (``refs/pull/<n>/merge`` for a pull request, the tag of a
  published release, the pushed branch, the ref a workflow_dispatch was started from);
- ``job_workflow_ref`` is ``<owner>/<repo>/<path>@<ref>`` of the workflow file that defines the
  job: for a job of a reusable workflow, that reusable workflow at the ref it was called with
  (``@v1`` -> ``@refs/tags/v1``), however deep the call; ``workflow_ref`` is the run's own
  (top-level) workflow;
- ``environment`` is present only for a job that runs in an environment.

AWS STS (AssumeRoleWithWebIdentity) checks a role's trust policy: an ``Allow`` statement for the
OIDC provider and ``sts:AssumeRoleWithWebIdentity`` whose every condition holds, and no matching
``Deny``. Within a condition operator the keys are ANDed, the values of one key ORed; a claim the
token lacks fails the condition. ``StringLike`` matches case-sensitively with ``*`` (any run of
characters, ``/`` and ``:`` included) and ``?`` (one character). GitHub claims usable as keys:
``aud``, ``sub`` and, since 2026, ``job_workflow_ref``, ``ref``, ``environment``,
``repository``, ``repository_id``, ``workflow``, ``actor``, ``actor_id``, ``enterprise_id``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.workflows.model import EXAMPLE, WORKFLOWS, jobs, load, suite_workflow, triggers

ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"  # what configure-aws-credentials asks for
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@"
PLATFORM = "acme-platform/github-actions"
SUITE_REF = "refs/tags/v1"  # the flows call each other, and are called, at @v1
IAM = EXAMPLE / "iam"

# -- GitHub expressions (the subset the workflows use) ----------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)"
                    r"|(?P<op>\|\||&&|==|!=|[!(),])|(?P<name>[A-Za-z_][\w.-]*))")


class Expression:
    """A recursive-descent evaluator: literals, context paths, ``!``, ``==``, ``!=``, ``&&``,
    ``||`` (which return an operand, as GitHub's do), parentheses and a few functions."""

    def __init__(self, text: str, context: Mapping[str, Any]) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.context = context

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise ValueError(f"cannot read {text[pos:]!r} in {text!r}")
            kind = match.lastgroup
            assert kind is not None
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def value(self) -> Any:
        result = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos]}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left if truthy(left) else right
        return left

    def _and(self) -> Any:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = right if truthy(left) else left
        return left

    def _compare(self) -> Any:
        left = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            same = equal(left, right)
            left = same if op == "==" else not same
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            inner = self._or()
            assert self._take()[1] == ")"
            return inner
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind == "name" and self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take()
            return call(text, args)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        return lookup(self.context, text)


def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0, 0.0)


def equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()  # GitHub compares strings ignoring case
    return bool(left == right)


def call(name: str, args: list[Any]) -> Any:
    if name == "format":
        template, *rest = args
        return re.sub(r"\{(\d+)\}", lambda m: str(rest[int(m.group(1))]), str(template))
    if name == "startsWith":
        return str(args[0]).lower().startswith(str(args[1]).lower())
    if name == "contains":
        return str(args[1]).lower() in str(args[0]).lower()
    if name == "fromJSON":
        return json.loads(str(args[0]))
    raise ValueError(f"function {name}() is not modelled")


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """``inputs.aws-role-arn``, ``github.event.repository.name``...; ``needs`` and ``steps``
    (outputs of earlier jobs and steps) are unknown before the run: None."""
    head, *rest = path.split(".")
    if head in ("needs", "steps", "secrets", "vars", "env", "runner", "job"):
        return None
    value: Any = context.get(head)
    for part in rest:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """A ``with:``/``environment`` value: one expression keeps its type, text interpolates."""
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", value.strip(), re.S)
    if whole:
        return Expression(whole.group(1), context).value()

    def text(match: re.Match[str]) -> str:
        got = Expression(match.group(1), context).value()
        return str(got).lower() if isinstance(got, bool) else "" if got is None else str(got)

    return re.sub(r"\$\{\{(.*?)\}\}", text, value, flags=re.S)


def evaluate(expression: str, context: Mapping[str, Any]) -> bool:
    text = expression.strip()
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", text, re.S)
    return truthy(Expression(whole.group(1) if whole else text, context).value())


# -- the runs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """One event of the service repository (acme/web) and what GitHub knows about it."""

    name: str
    event_name: str
    ref: str
    workflow: Path  # the service's workflow file the event starts
    base_ref: str = ""
    head_ref: str = ""
    dispatch_inputs: Mapping[str, Any] = field(default_factory=dict)
    environments: tuple[str, ...] = ()  # what a feature-branch deploy/destroy matrix holds
    repository: str = "acme/web"

    def github(self) -> dict[str, Any]:
        return {"event_name": self.event_name, "ref": self.ref, "base_ref": self.base_ref,
                "ref_type": "tag" if self.ref.startswith("refs/tags/") else "branch",
                "head_ref": self.head_ref, "repository": self.repository,
                "repository_owner": self.repository.split("/")[0],
                "event": {"repository": {"name": self.repository.split("/")[1]}}}

    @property
    def workflow_ref(self) -> str:
        return f"{self.repository}/{self.workflow.relative_to(EXAMPLE).as_posix()}@{self.ref}"


@dataclass(frozen=True)
class JobToken:
    """The OIDC token one job (one matrix cell) asks for, and the role it asks STS for."""

    event: str
    path: str  # e.g. release-kit/release/production/deploy
    workflow_file: str  # the file that defines the job
    job: str
    claims: Mapping[str, str]
    role_arn: str

    @property
    def role(self) -> str:
        """The role's name: ``arn:aws:iam::<account>:role/web-dev`` -> ``dev``."""
        return self.role_arn.rsplit("/", 1)[-1].removeprefix("web-")


def subject(repository: str, event_name: str, ref: str, environment: str | None) -> str:
    def escaped(value: str) -> str:
        return value.replace(":", "%3A")

    if environment:
        return f"repo:{repository}:environment:{escaped(environment)}"
    if event_name == "pull_request":
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:ref:{escaped(ref)}"


def claims(event: Event, *, environment: str | None, job_workflow_ref: str) -> dict[str, str]:
    found = {
        "iss": f"https://{ISSUER}",
        "aud": AUDIENCE,
        "sub": subject(event.repository, event.event_name, event.ref, environment),
        "ref": event.ref,
        "ref_type": "tag" if event.ref.startswith("refs/tags/") else "branch",
        "event_name": event.event_name,
        "repository": event.repository,
        "repository_owner": event.repository.split("/")[0],
        "workflow_ref": event.workflow_ref,
        "job_workflow_ref": job_workflow_ref,
    }
    if environment:
        found["environment"] = environment
    if event.event_name == "pull_request":
        found |= {"base_ref": event.base_ref, "head_ref": event.head_ref}
    return found


def defaults(workflow: dict[str, Any], event: str) -> dict[str, Any]:
    declared = (triggers(workflow).get(event) or {}).get("inputs") or {}
    return {name: spec.get("default") for name, spec in declared.items() if "default" in spec}


def tokens(event: Event) -> Iterator[JobToken]:
    """Every job that asks for an OIDC token, in every workflow the event starts (however deep
    the reusable calls go), with its claims. Jobs run or not by their ``if:`` at the top only
    (the caller's choice of flow); inside a flow every job that may run is listed."""
    caller = load(event.workflow)
    inputs = defaults(caller, "workflow_dispatch") | dict(event.dispatch_inputs)
    context = {"github": event.github(), "inputs": inputs}
    for job_id, job in jobs(caller).items():
        if "if" in job and not evaluate(str(job["if"]), context):
            continue
        yield from _job(event, event.workflow.stem, job_id, job, context, event.workflow_ref,
                        event.workflow.name)


def _job(event: Event, path: str, job_id: str, job: dict[str, Any], context: dict[str, Any],
         file_ref: str, file_name: str) -> Iterator[JobToken]:
    called = suite_workflow(str(job.get("uses", "")))
    if called:
        flow = load(WORKFLOWS / called)
        given = {name: render(value, context) for name, value in (job.get("with") or {}).items()}
        inner = {"github": context["github"],
                 "inputs": defaults(flow, "workflow_call") | given}
        ref = f"{PLATFORM}/.github/workflows/{called}@{SUITE_REF}"
        for inner_id, inner_job in jobs(flow).items():
            yield from _job(event, f"{path}/{job_id}", inner_id, inner_job, inner, ref, called)
        return
    if not any(str(step.get("uses", "")).startswith(AWS_CREDENTIALS)
               for step in job.get("steps") or []):
        return
    assert (job.get("permissions") or {}).get("id-token") == "write", f"{path}/{job_id}"
    matrix = ((job.get("strategy") or {}).get("matrix") or {})
    cells: list[dict[str, Any]] = [{}]
    if "environment" in matrix:
        cells = [{"environment": name} for name in event.environments]
    for cell in cells:
        cell_context = {**context, "matrix": cell}
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        env = render(name, cell_context) if name else None
        step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith(AWS_CREDENTIALS))
        role = render(step["with"]["role-to-assume"], cell_context)
        label = f"{path}/{job_id}" + (f"[{cell['environment']}]" if cell else "")
        yield JobToken(event.name, label, Path(file_name).name, job_id,
                       claims(event, environment=env or None, job_workflow_ref=file_ref),
                       str(role or ""))


# -- AWS trust policies -----------------------------------------------------------------------

POSITIVE = {"StringEquals", "StringLike"}
NEGATIVE = {"StringNotEquals", "StringNotLike"}


def like(pattern: str, value: str) -> bool:
    """IAM ``StringLike``: ``*`` any run of characters, ``?`` one; case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S) is not None


def condition_holds(operator: str, block: Mapping[str, Any], token: Mapping[str, str]) -> bool:
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        raise ValueError(f"{operator}: set operators are not modelled (and ForAllValues allows "
                         "a token without the claim); use StringEquals or StringLike")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in POSITIVE | NEGATIVE:
        raise ValueError(f"condition operator {operator} is not modelled")
    for key, wanted in block.items():
        issuer, _, claim = key.partition(":")
        if issuer != ISSUER:
            raise ValueError(f"condition key {key} is not a claim of {ISSUER}")
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        if claim not in token:
            # AWS: a key absent from the request fails a positive operator and satisfies a
            # negated one (StringNotEquals); ...IfExists skips the key.
            if if_exists or base in NEGATIVE:
                continue
            return False
        got = token[claim]
        match = (any(like(v, got) for v in values) if base.endswith("Like")
                 else got in values)
        if match != (base in POSITIVE):
            return False
    return True


def statement_applies(statement: Mapping[str, Any], token: Mapping[str, str]) -> bool:
    principal = (statement.get("Principal") or {}).get("Federated", "")
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else list(actions or [])
    if not str(principal).endswith(f":oidc-provider/{ISSUER}"):
        return False
    if "sts:AssumeRoleWithWebIdentity" not in actions:
        return False
    return all(condition_holds(op, block, token)
               for op, block in (statement.get("Condition") or {}).items())


def may_assume(policy: Mapping[str, Any], token: Mapping[str, str]) -> bool:
    """Whether STS lets ``token`` assume a role with this trust ``policy``."""
    statements = policy["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    matching = [s for s in statements if statement_applies(s, token)]
    return bool(matching) and all(s["Effect"] == "Allow" for s in matching)


def example_policies() -> dict[str, dict[str, Any]]:
    """The trust policies in examples/service/iam/, by role (file) name."""
    import json

    return {path.stem: json.loads(path.read_text()) for path in sorted(IAM.glob("*.json"))}
