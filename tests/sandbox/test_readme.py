"""The README's sandbox section, run as written: every fenced shell block, in order, in one shell.

A new user copies these blocks; if one of them stops working, this test fails. They run from a
folder whose ``.venv`` is this test run's environment (the README's commands say
``.venv/bin/release-kit``), with nothing of the caller's GitHub or AWS settings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Run against the sandbox"


def sandbox_blocks(readme: str) -> list[str]:
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start:end if end != -1 else None]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def test_the_section_has_blocks_to_run() -> None:
    blocks = sandbox_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    assert "release-kit sandbox" in blocks[0] and "kill \"$SANDBOX_PID\"" in blocks[-1]


@pytest.mark.timeout(300)
def test_every_shell_block_of_the_readmes_sandbox_section_runs_as_written(
        tmp_path: Path) -> None:
    blocks = sandbox_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    (tmp_path / ".venv").symlink_to(sys.prefix)
    script = "\n".join([
        # if a block fails, the sandbox it started must not outlive the test
        "trap 'kill \"${SANDBOX_PID:-}\" 2>/dev/null || true' EXIT",
        "set -euo pipefail",
        *blocks,
        'echo "the sandbox was $SANDBOX_PID"',
    ])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "AWS_", "RUNNER_", "SANDBOX_", "GIT_"))}
    env.update({"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"})
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=280, check=False)
    out = proc.stdout
    assert proc.returncode == 0, f"{out[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    assert "version=0.1.0" in out and "bump=minor" in out          # semver-bump
    assert "tags=[{\"tag\":\"0.1.0\",\"action\":\"created\"}]" in out  # promote-image
    assert "result=deployed" in out and "[simulated helmfile]" in out  # deploy-helmfile
    assert "created=true" in out                                       # release-ticket open
    assert '"tag_name": "v0.1.0"' in out                              # the draft, over the API
    assert "::add-mask::" not in out                                  # a terminal, no runner
    pid = int(re.findall(r"the sandbox was (\d+)", out)[-1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the sandbox ({pid}) still runs after the README's kill")
