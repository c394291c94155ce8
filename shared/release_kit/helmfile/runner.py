"""Run helmfile: find it, stream its output into a log group, enforce a timeout.

Output is printed line by line as it arrives (a deploy can take minutes; the log must move),
and the last lines are kept for the error message when it fails. ``list_releases`` is the one
quiet call: its output is data (which releases the helmfile deploys), not log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from release_kit.action import commands
from release_kit.errors import ExternalServiceError, NotFoundError
from release_kit.helmfile import REQUIREMENT
from release_kit.helmfile.argv import DETAILED_CHANGES, Invocation, Operation
from release_kit.helmfile.listing import release_names

TAIL_LINES = 20


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    tail: list[str]
    timed_out: bool = False


@dataclass(frozen=True)
class HelmfileOutcome:
    """How a helmfile invocation ended: ``changed`` (exit 2 of --detailed-exitcode), or why it
    failed (``failure`` is "" on success)."""

    exit_code: int
    failure: str = ""

    @property
    def changed(self) -> bool:
        return not self.failure and self.exit_code == DETAILED_CHANGES


def find_helmfile(path: str | None = None) -> str:
    """The helmfile executable on PATH, else an error that says where to get it."""
    found = shutil.which("helmfile", path=path)
    if not found:
        raise NotFoundError(
            "helmfile is not on PATH.",
            hint=f"The deploy-helmfile action image provides it; a local run needs {REQUIREMENT} "
            "installed and on PATH.",
            title="helmfile not found",
        )
    return found


def run_streamed(argv: Sequence[str], *, env: Mapping[str, str], timeout: float,
                 title: str) -> ProcessResult:
    """Run ``argv`` inside a log group; kill its whole process group after ``timeout`` s, or
    at once (after a short grace) when the run is cancelled or anything else interrupts it."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with commands.group(title):
        commands.info("$ " + " ".join(argv))
        proc = subprocess.Popen(  # argv list, no shell
            list(argv), env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1,
            start_new_session=True,
        )
        reader = threading.Thread(target=_pump, args=(proc, tail), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc, TIMEOUT_GRACE)
        except BaseException:
            _kill_group(proc, CANCEL_GRACE)
            raise
        reader.join(timeout=5)
    return ProcessResult(proc.returncode, list(tail), timed_out)


def _pump(proc: subprocess.Popen[str], tail: deque[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        text = line.rstrip("\n")
        tail.append(text)
        commands.info(text)


# How long helmfile (and helm under it) get to stop after SIGTERM before SIGKILL: after a timeout
# there is time for helm to record the release as failed; a cancelled run has ~7.5 s in all.
TIMEOUT_GRACE = 10.0
CANCEL_GRACE = 2.0


def _kill_group(proc: subprocess.Popen[str], grace: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace`` s; wait for the leader."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _env(kubeconfig: Path) -> dict[str, str]:
    """helmfile's environment: the action's inputs (its token) stay out of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INPUT_")}
    env["KUBECONFIG"] = str(kubeconfig)
    return env


def run_invocation(invocation: Invocation, kubeconfig: Path, timeout: float) -> HelmfileOutcome:
    """Run helmfile against ``kubeconfig``, its output streamed into a log group."""
    what = f"helmfile {invocation.operation.value}"
    result = run_streamed(invocation.argv(find_helmfile()), env=_env(kubeconfig),
                          timeout=timeout, title=f"{what} ({invocation.namespace})")
    if result.timed_out:
        return HelmfileOutcome(result.exit_code, f"{what} did not finish within {timeout:g} s")
    ok = {0} if invocation.operation is Operation.DESTROY else {0, DETAILED_CHANGES}
    if result.exit_code not in ok:
        last = next((line for line in reversed(result.tail) if line.strip()), "")
        return HelmfileOutcome(result.exit_code, f"{what} failed (exit {result.exit_code}): {last}")
    return HelmfileOutcome(result.exit_code)


def list_releases(invocation: Invocation, kubeconfig: Path, timeout: float) -> list[str]:
    """Names of the releases ``invocation``'s helmfile runs in its namespace (``helmfile list``).

    Raises ExternalServiceError when helmfile fails, hangs or answers something else.
    """
    argv = invocation.listing().argv(find_helmfile())
    commands.debug("$ " + " ".join(argv))
    proc = subprocess.Popen(  # argv list, no shell; its own group, killed whole on the way out
        argv, env=_env(kubeconfig), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        errors="replace", stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, CANCEL_GRACE)
        proc.communicate()
        raise ExternalServiceError(f"helmfile list did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(proc, CANCEL_GRACE)
        raise
    if proc.returncode != 0:
        output = (stderr or stdout).splitlines()
        last = next((line for line in reversed(output) if line.strip()), "")
        raise ExternalServiceError(f"helmfile list failed (exit {proc.returncode}): {last}")
    try:
        return release_names(stdout, invocation.namespace)
    except ValueError as exc:
        raise ExternalServiceError(f"helmfile list --output json: {exc}") from None
