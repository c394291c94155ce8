"""helmfile argv (pure) and the runner (streams inside a group, timeout, missing binary)."""

from __future__ import annotations

import io
import re
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from release_kit.errors import ExternalServiceError, InputError, NotFoundError
from release_kit.helmfile import HELM_DIFF_VERSION, HELM_VERSION, HELMFILE_VERSION
from release_kit.helmfile.argv import Invocation, Operation, image_values, parse_set_lines
from release_kit.helmfile.listing import release_names
from release_kit.helmfile.runner import find_helmfile, run_streamed


def test_apply_argv_has_globals_first_and_suppresses_secrets() -> None:
    inv = Invocation(Operation.APPLY, Path("deploy/helmfile.yaml"), "qa2", "qa2",
                     [Path("/t/values.json"), Path("/t/image.json")], ["replicas=2"],
                     ["--concurrency", "2"])
    assert inv.argv() == [
        "helmfile", "--file", "deploy/helmfile.yaml", "--environment", "qa2", "--namespace", "qa2",
        "--state-values-file", "/t/values.json", "--state-values-file", "/t/image.json",
        "--state-values-set", "replicas=2",
        "apply", "--suppress-secrets", "--detailed-exitcode", "--concurrency", "2",
    ]


def test_diff_and_destroy_subcommands() -> None:
    diff = Invocation(Operation.DIFF, Path("h.yaml"), "dev", "dev").argv("/bin/helmfile")
    assert diff[0] == "/bin/helmfile" and diff[-3:] == ["diff", "--suppress-secrets", "--detailed-exitcode"]
    assert Invocation(Operation.DESTROY, Path("h.yaml"), "dev", "dev").argv()[-1] == "destroy"


def test_listing_keeps_the_state_and_drops_the_subcommands_extra_arguments() -> None:
    apply = Invocation(Operation.APPLY, Path("h.yaml"), "qa2", "qa2", [Path("/t/image.json")],
                       ["replicas=2"], ["--wait"])
    assert apply.listing().argv() == [
        "helmfile", "--file", "h.yaml", "--environment", "qa2", "--namespace", "qa2",
        "--state-values-file", "/t/image.json", "--state-values-set", "replicas=2",
        "list", "--output", "json"]


# what helmfile 1.x prints (pkg/app/formatters.go: json.Marshal of its HelmRelease rows)
LISTED = ('[{"name":"web","namespace":"qa2","enabled":true,"installed":true,'
          '"labels":"chart:web,name:web,namespace:qa2","chart":"./chart","version":""},'
          '{"name":"worker","namespace":"","enabled":true,"installed":true,"labels":"",'
          '"chart":"./worker","version":""},'
          '{"name":"off","namespace":"qa2","enabled":false,"installed":true,"labels":"",'
          '"chart":"x","version":""},'
          '{"name":"gone","namespace":"qa2","enabled":true,"installed":false,"labels":"",'
          '"chart":"x","version":""},'
          '{"name":"db","namespace":"databases","enabled":true,"installed":true,"labels":"",'
          '"chart":"x","version":""}]')


def test_release_names_from_list_output() -> None:
    assert release_names(LISTED + "\n", "qa2") == ["web", "worker"]
    assert release_names(f"Adding repo bitnami\n{LISTED}\n", "qa2") == ["web", "worker"]
    assert release_names("[]\n", "qa2") == []
    for bad in ("", "NAME NAMESPACE ENABLED\nweb qa2 true\n", '[{"namespace": "qa2"}]', "[1]"):
        with pytest.raises(ValueError):
            release_names(bad, "qa2")


def test_set_lines_and_image_values() -> None:
    assert parse_set_lines(["a.b = x=y", "empty="]) == ["a.b= x=y", "empty="]
    for bad in (["novalue"], ["=x"]):
        with pytest.raises(InputError) as info:
            parse_set_lines(bad)
        assert info.value.input_name == "set"
    assert image_values("ecr/web", "1.2.3") == {"image": {"repository": "ecr/web", "tag": "1.2.3"}}
    assert image_values("", "1.2.3") == {"image": {"tag": "1.2.3"}}
    assert image_values("", "") == {}


def test_missing_helmfile_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        find_helmfile(path=str(tmp_path))
    text = str(info.value)
    assert "action image provides it" in text
    assert f"helmfile {HELMFILE_VERSION}" in text and f"helm {HELM_VERSION}" in text
    assert f"helm-diff plugin {HELM_DIFF_VERSION}" in text


def test_versions_are_the_ones_the_image_installs() -> None:
    """The error text and the README must name what the Dockerfile pins, not a guess."""
    root = Path(__file__).resolve().parents[2]
    # The pins are the first words of the RUN that installs the tools (no ARG: a build argument
    # could change a version without its checksums).
    pinned = dict(re.findall(r"^(?:RUN )?\s*(\w+_VERSION)=(\S+) \\$", (root / "Dockerfile").read_text(),
                             re.M))
    assert {k: pinned.get(k) for k in ("HELMFILE_VERSION", "HELM_VERSION", "HELM_DIFF_VERSION")} == {
        "HELMFILE_VERSION": HELMFILE_VERSION, "HELM_VERSION": HELM_VERSION,
        "HELM_DIFF_VERSION": HELM_DIFF_VERSION}
    readme = (root / "actions/deploy-helmfile/README.md").read_text()
    assert f"helmfile {HELMFILE_VERSION} with helm {HELM_VERSION}" in readme
    assert f"the helm-diff plugin {HELM_DIFF_VERSION}" in readme


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "tool.py"
    path.write_text(body, encoding="utf-8")
    return [sys.executable, str(path)]


def test_runner_streams_output_in_a_group_and_keeps_the_tail(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import sys\nprint('one', flush=True)\nprint('two', file=sys.stderr)\nsys.exit(3)\n")
    out = io.StringIO()
    with redirect_stdout(out):
        result = run_streamed(argv, env={}, timeout=30, title="helmfile apply (qa2)")
    lines = out.getvalue().splitlines()
    assert lines[0] == "::group::helmfile apply (qa2)" and lines[-1] == "::endgroup::"
    assert "one" in lines and "two" in lines
    assert result.exit_code == 3 and result.tail == ["one", "two"] and not result.timed_out


def test_runner_kills_on_timeout(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import time\nprint('start', flush=True)\ntime.sleep(30)\n")
    started = time.monotonic()
    with redirect_stdout(io.StringIO()):
        result = run_streamed(argv, env={}, timeout=1, title="t")
    assert result.timed_out and result.exit_code != 0
    assert time.monotonic() - started < 10


def test_run_invocation_outcomes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from release_kit.helmfile.runner import run_invocation

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "helmfile"
    tool.write_text("#!/bin/sh\nenv > \"$OUT\"\necho \"last words\"\nexit \"$CODE\"\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("OUT", str(tmp_path / "env.txt"))
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", "ghs_secret")
    apply = Invocation(Operation.APPLY, Path("h.yaml"), "dev", "dev")
    destroy = Invocation(Operation.DESTROY, Path("h.yaml"), "dev", "dev")
    with redirect_stdout(io.StringIO()):
        monkeypatch.setenv("CODE", "2")
        changed = run_invocation(apply, tmp_path / "kc", 30)
        failed_destroy = run_invocation(destroy, tmp_path / "kc", 30)
        monkeypatch.setenv("CODE", "0")
        unchanged = run_invocation(apply, tmp_path / "kc", 30)
    assert changed.changed and not changed.failure
    assert not unchanged.changed and not unchanged.failure
    assert failed_destroy.failure == "helmfile destroy failed (exit 2): last words"
    env = (tmp_path / "env.txt").read_text()
    assert f"KUBECONFIG={tmp_path / 'kc'}" in env and "ghs_secret" not in env


def test_list_releases_outcomes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from release_kit.helmfile.runner import list_releases

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "helmfile"
    tool.write_text("#!/bin/sh\necho \"$@\" > \"$OUT\"\necho \"$ANSWER\"\n"
                    "echo 'err: no state' >&2\nexit \"$CODE\"\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("OUT", str(tmp_path / "argv.txt"))
    apply = Invocation(Operation.APPLY, Path("h.yaml"), "qa2", "qa2", extra_args=["--wait"])
    monkeypatch.setenv("CODE", "0")
    monkeypatch.setenv("ANSWER", LISTED)
    assert list_releases(apply, tmp_path / "kc", 30) == ["web", "worker"]
    assert (tmp_path / "argv.txt").read_text().split()[-3:] == ["list", "--output", "json"]
    monkeypatch.setenv("ANSWER", "not json")
    with pytest.raises(ExternalServiceError, match="no JSON array of releases"):
        list_releases(apply, tmp_path / "kc", 30)
    monkeypatch.setenv("CODE", "1")
    with pytest.raises(ExternalServiceError, match=r"helmfile list failed \(exit 1\): err: no state"):
        list_releases(apply, tmp_path / "kc", 30)
