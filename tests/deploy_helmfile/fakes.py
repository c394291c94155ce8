"""The fake ``helmfile`` executable of the deploy tests: a spy at the process boundary.

The Kubernetes API the tests deploy into is the sandbox's (``release_kit_sandbox.kube``), and
the spy changes releases there only through its ``Helm`` (as the rehearsal's simulated helmfile
does), so there is one fake API and one notion of what a release leaves behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release_kit_sandbox.kube import python_script

# The spy records every call (argv, env, the kubeconfig's text, the state values) as one JSON
# line, and may run the kubeconfig's exec credential plugin (to prove it works):
# FAKE_HELMFILE_RUN_EXEC=1 runs it on every call (list included), passing its stderr through
# unless FAKE_HELMFILE_SWALLOW_EXEC_STDERR=1 (as helmfile list does).
# FAKE_HELMFILE_RELEASE=<name>: apply installs that release, destroy uninstalls it (through
# kube.Helm and the kubeconfig's server), and list names it; without it list names the
# helmfile's first declared release and apply/destroy leave the API alone.
# Exit codes: FAKE_HELMFILE_EXIT_<SUBCOMMAND>, else apply/diff 2 (changes), destroy/list 0;
# FAKE_HELMFILE_SLEEP=<s> makes apply/destroy hang after their output (for the timeout),
# FAKE_HELMFILE_SLEEP_LIST=<s> makes list hang. FAKE_HELMFILE_SAY=<JSON list>: lines apply,
# diff and destroy print as they are, on stdout and stderr.
SPY = r'''
import json, subprocess, time
from pathlib import Path
import yaml

argv = sys.argv[1:]
sub = next(a for a in argv if a in kube.SUBCOMMANDS)
path = os.environ.get("KUBECONFIG", "")
text = open(path, encoding="utf-8").read() if path and os.path.exists(path) else ""
record = {"argv": argv, "env": dict(os.environ), "kubeconfig": text, "pid": os.getpid(),
          "kubeconfig_mode": oct(os.stat(path).st_mode & 0o777) if text else ""}
config = yaml.safe_load(text) if text else {}
for user in (config or {}).get("users") or []:
    exec_ = (user.get("user") or {}).get("exec")
    if exec_ and os.environ.get("FAKE_HELMFILE_RUN_EXEC") == "1":
        proc = subprocess.run([exec_["command"], *exec_.get("args", [])], capture_output=True,
                              text=True, env={**os.environ, **{e["name"]: e["value"] for e in exec_.get("env") or []}})
        record["exec"] = {"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
        if os.environ.get("FAKE_HELMFILE_SWALLOW_EXEC_STDERR") != "1":
            sys.stderr.write(proc.stderr)
for name in [a for i, a in enumerate(argv) if i and argv[i - 1] == "--state-values-file"]:
    record.setdefault("state_values", []).append(json.load(open(name, encoding="utf-8")))
with open(os.environ["FAKE_HELMFILE_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(record) + "\n")
ns = argv[argv.index("--namespace") + 1]
release = os.environ.get("FAKE_HELMFILE_RELEASE", "")
code = int(os.environ.get(f"FAKE_HELMFILE_EXIT_{sub.upper()}", {"apply": 2, "diff": 2}.get(sub, 0)))
if sub != "list":
    for said in json.loads(os.environ.get("FAKE_HELMFILE_SAY") or "[]"):
        sys.stdout.write(said + "\n")
        sys.stderr.write(said + "\n")
    sys.stdout.flush()
if code not in (0, 2):
    print("Error: UPGRADE FAILED: context deadline exceeded", file=sys.stderr)
    sys.exit(code)
if sub == "list":
    time.sleep(float(os.environ.get("FAKE_HELMFILE_SLEEP_LIST") or 0))
    listed = release or kube.declared_release(Path(argv[argv.index("--file") + 1]))
    print(kube.list_json([listed] if listed else [], ns))
    sys.exit(code)
print(f"fake helmfile {sub}: Comparing release={release or 'web'}, chart=./chart")
print("fake helmfile: secret values suppressed")
if release and sub == "apply":
    kube.Helm.from_kubeconfig(Path(path)).install(ns, release, image="image:test",
                                                   host=f"{release}.{ns}.example.com")
if release and sub == "destroy":
    kube.Helm.from_kubeconfig(Path(path)).uninstall(ns, release)
if os.environ.get("FAKE_HELMFILE_SLEEP"):
    print("waiting for the release to become ready", flush=True)
    time.sleep(float(os.environ["FAKE_HELMFILE_SLEEP"]))
sys.exit(code)
'''


@dataclass
class FakeHelmfile:
    bin_dir: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
                "FAKE_HELMFILE_LOG": str(self.log), **extra}

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call, in order (``helmfile list`` included)."""
        return helmfile_calls(self.log)

    def subcommands(self) -> list[str]:
        return [next(a for a in call["argv"] if a in ("apply", "diff", "destroy", "list"))
                for call in self.calls]


def install_fake_helmfile(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "helmfile"
    path.write_text(python_script(SPY), encoding="utf-8")
    path.chmod(0o755)
    return path


def helmfile_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
