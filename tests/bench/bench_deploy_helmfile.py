"""Benchmark deploy-helmfile: time from process start to the helmfile invocation, and imports.

``to_helmfile.eks``: the action is started as the runner starts it (``python -m release_kit
deploy-helmfile``, INPUT_* variables) in EKS mode against the sandbox: role chain (two
AssumeRole) and DescribeCluster on the moto server, the kubeconfig written, a GitHub deployment
created (plus its in_progress status) on the emulator. A fake ``helmfile`` records the wall clock
when it starts; the figure is that minus the moment the process was spawned, interpreter
start-up included (target <= 1.5 s). ``to_helmfile.kubeconfig`` is the same without AWS.
``import_time.entrypoint``: loading actions/deploy-helmfile/main.py the way the CLI does.

    .venv/bin/python tests/bench/bench_deploy_helmfile.py
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.*` importable

import boto3  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.eks.models import eks_backends  # noqa: E402
from tests.harness import run_action  # noqa: E402

from release_kit_sandbox import Sandbox  # noqa: E402
from release_kit_sandbox.kube import FakeKubernetes  # noqa: E402

RUNS = 5
REGION = "eu-west-1"
TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
         '"Action":"sts:AssumeRole"}]}')
FAKE_HELMFILE = """#!/bin/sh
date +%s.%N >> "$FAKE_HELMFILE_TIMES"
exit 2
"""


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}"


def to_helmfile(box: Sandbox, inputs: dict[str, str], work: Path, env: dict[str, str]) -> list[float]:
    times = work / "times.txt"
    figures = []
    for _ in range(RUNS):
        times.unlink(missing_ok=True)
        started = time.time()
        result = run_action("deploy-helmfile", inputs, sandbox=box, env={
            **env, "FAKE_HELMFILE_TIMES": str(times)}, workspace=work)
        if result.exit_code != 0 or not times.exists():
            raise SystemExit(f"deploy failed:\n{result}")
        figures.append(float(times.read_text().split()[0]) - started)
    return figures


def import_time() -> list[float]:
    code = ("import time; t = time.perf_counter(); import runpy; runpy.run_path("
            + repr(str(ROOT / "actions/deploy-helmfile/main.py"))
            + ", run_name='bench'); print(time.perf_counter() - t)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    return [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, env=env, cwd=ROOT).stdout) for _ in range(RUNS)]


def interpreter_start() -> list[float]:
    figures = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        figures.append(time.perf_counter() - started)
    return figures


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server access logs
    with Sandbox() as box, FakeKubernetes() as kube, \
            tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp:
        work = Path(tmp) / "workspace"
        (work / "deploy").mkdir(parents=True)
        (work / "deploy" / "helmfile.yaml").write_text("releases: []\n")
        kube.write_kubeconfig(work / "kubeconfig")
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        (bin_dir / "helmfile").write_text(FAKE_HELMFILE)
        (bin_dir / "helmfile").chmod(0o755)

        repo = box.github.create_repo("acme/web")
        sha = repo.git.resolve("refs/heads/main")
        aws = {"endpoint_url": box.aws_endpoint, "region_name": REGION,
               "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        iam = boto3.client("iam", **aws)
        roles = [iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
                 for n in ("cicd", "helm")]
        boto3.client("eks", **aws).create_cluster(name="apps", roleArn=roles[1],
                                                  resourcesVpcConfig={})
        # moto runs in this process: its cluster's endpoint becomes the sandbox Kubernetes API
        cluster = eks_backends[DEFAULT_ACCOUNT_ID][REGION].clusters["apps"]
        cluster.endpoint, cluster.certificate_authority = kube.url, {"data": ""}
        env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_SHA": str(sha)}

        eks = to_helmfile(box, {"environment": "dev", "cluster": "apps", "aws-region": REGION,
                                "cicd-role-arn": roles[0], "helm-role-arn": roles[1]}, work, env)
        plain = to_helmfile(box, {"environment": "dev", "kubeconfig": "kubeconfig"}, work, env)
        deployments = len(list(box.github.repo("acme/web").deployments.values()))

    imports = import_time()
    start = interpreter_start()
    print(f"to_helmfile.eks.median: {median_ms(eks)} ms")
    print(f"to_helmfile.eks.min: {min(eks) * 1000:.0f} ms")
    print(f"to_helmfile.eks.target: 1500 ms ({'met' if statistics.median(eks) <= 1.5 else 'MISSED'})")
    print(f"to_helmfile.kubeconfig.median: {median_ms(plain)} ms")
    print(f"import_time.entrypoint.median: {median_ms(imports)} ms")
    print(f"interpreter_start.median: {median_ms(start)} ms")
    print(f"deployments_after_{2 * RUNS}_runs: {deployments} count")


if __name__ == "__main__":
    main()
