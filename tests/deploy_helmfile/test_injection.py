"""deploy-helmfile end to end: no payload in its inputs or in helmfile's output issues a command.

The measured case: the legacy ``##[set-output ...]`` inside a ``set`` value went through the
echoed ``$ helmfile ...`` line. Here every payload of the runtime suite is a ``set`` value (those
that fit on one line) and a line helmfile prints on stdout and stderr; the action's whole output
is read the way the runner reads it.
"""

from __future__ import annotations

import json

from tests.deploy_helmfile.scenario import Scenario
from tests.runtime.injection_payloads import PAYLOADS
from tests.runtime.workflow_commands import find

OURS = {"add-mask", "group", "endgroup", "error", "warning", "notice", "debug"}
SPLITS = set("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00")  # and NUL: not in an environment


def test_no_payload_passes_through_the_action(scenario: Scenario) -> None:
    one_line = [p for p in PAYLOADS if not SPLITS & set(p) and p.strip() == p]
    result = scenario.run(
        {"environment": "qa1", "set": [f"p{i}={p}" for i, p in enumerate(one_line)]}, pr=1,
        env={"FAKE_HELMFILE_SAY": json.dumps(PAYLOADS), "FAKE_HELMFILE_EXIT_APPLY": "1",
             "RUNNER_DEBUG": "1"})
    assert result.exit_code == 1, result  # the failure message quotes helmfile's last line too
    assert len(one_line) > 100
    call = scenario.fake_helmfile.calls[0]
    assert sum(a.startswith("p") and "PWNED" in a for a in call["argv"]) == len(one_line)
    output = result.stdout + result.stderr
    assert output.count("PWNED") >= len(PAYLOADS) + len(one_line)  # they were all printed
    found = find(output)
    assert {f.command for f in found} <= OURS
    assert [f for f in found if f.command == "add-mask" and "PWNED" in f.data] == []
    assert all(f.form == "v2" and f.line.startswith("::") for f in found)
