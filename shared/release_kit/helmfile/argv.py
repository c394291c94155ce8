"""helmfile command lines, built as argv lists (never shell strings).

``helmfile --file F --environment E --namespace NS --state-values-file G ... apply ...``:
global flags first, then the subcommand with its own flags, then the user's extra arguments
(helmfile accepts global flags after the subcommand too, so ``--selector`` works there).
``apply`` and ``diff`` get ``--suppress-secrets`` so Secret values never reach the log, and
``--detailed-exitcode`` so exit 2 tells "changed" apart from "nothing to do". ``list --output
json`` names the releases the same state (file, environment, namespace, state values) deploys;
the user's extra arguments are for the deploying subcommand, so a listing leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from release_kit.errors import InputError

DETAILED_CHANGES = 2  # exit code of --detailed-exitcode when there were changes


class Operation(Enum):
    APPLY = "apply"
    DIFF = "diff"
    DESTROY = "destroy"
    LIST = "list"


_SUBCOMMAND_FLAGS: dict[Operation, tuple[str, ...]] = {
    Operation.APPLY: ("--suppress-secrets", "--detailed-exitcode"),
    Operation.DIFF: ("--suppress-secrets", "--detailed-exitcode"),
    Operation.DESTROY: (),
    Operation.LIST: ("--output", "json"),
}


@dataclass(frozen=True)
class Invocation:
    operation: Operation
    file: Path
    environment: str
    namespace: str
    state_values_files: Sequence[Path] = ()
    state_values_set: Sequence[str] = ()
    extra_args: Sequence[str] = field(default_factory=tuple)

    def argv(self, executable: str = "helmfile") -> list[str]:
        args = [executable, "--file", str(self.file), "--environment", self.environment,
                "--namespace", self.namespace]
        for path in self.state_values_files:
            args += ["--state-values-file", str(path)]
        for pair in self.state_values_set:
            args += ["--state-values-set", pair]
        return [*args, self.operation.value, *_SUBCOMMAND_FLAGS[self.operation], *self.extra_args]

    def listing(self) -> Invocation:
        """``helmfile ... list --output json`` over the same state as this invocation."""
        return replace(self, operation=Operation.LIST, extra_args=())


def parse_set_lines(lines: Sequence[str], input_name: str = "set") -> list[str]:
    """``key=value`` lines, checked: a key before ``=`` (dotted paths allowed)."""
    for line in lines:
        key, sep, _ = line.partition("=")
        if not sep or not key.strip():
            raise InputError(input_name, f"{line!r} is not key=value.",
                             hint="Write one state value per line, e.g. replicas=2 or "
                             "ingress.host=app.example.com.")
    return [f"{k.strip()}={v}" for k, _, v in (line.partition("=") for line in lines)]


def image_values(repository: str, tag: str) -> dict[str, Any]:
    """State values for ``image`` / ``image-tag`` (only the parts that were given)."""
    image = {key: value for key, value in (("repository", repository), ("tag", tag)) if value}
    return {"image": image} if image else {}
