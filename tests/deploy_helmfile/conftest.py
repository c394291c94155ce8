"""Fixtures of the deploy-helmfile tests: a workspace with a helmfile (release ``web``), the
helmfile spy on PATH, and the sandbox's Kubernetes API with a kubeconfig pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.fakes import FakeHelmfile, install_fake_helmfile
from tests.deploy_helmfile.scenario import Scenario, Seed


@pytest.fixture
def fake_helmfile(tmp_path: Path) -> FakeHelmfile:
    install_fake_helmfile(tmp_path / "bin")
    return FakeHelmfile(tmp_path / "bin", tmp_path / "helmfile-calls.jsonl")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "deploy").mkdir(parents=True)
    (ws / "deploy" / "helmfile.yaml").write_text("releases:\n  - name: web\n    chart: ./chart\n",
                                                 encoding="utf-8")
    return ws


@pytest.fixture(scope="session")
def kube_server() -> Iterator[FakeKubernetes]:
    with FakeKubernetes() as kube:
        yield kube


@pytest.fixture
def fake_kube(kube_server: FakeKubernetes, workspace: Path) -> FakeKubernetes:
    """The sandbox API, emptied, with ``workspace/kubeconfig`` pointing at it."""
    kube_server.reset()
    kube_server.write_kubeconfig(workspace / "kubeconfig")
    return kube_server


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """One local git repository (branches, a tag) that each test's emulator repository copies."""
    return Seed.create(tmp_path_factory.mktemp("seed") / "web")


@pytest.fixture
def scenario(sandbox: Any, fake_helmfile: FakeHelmfile, fake_kube: FakeKubernetes, workspace: Path,
             seed: Seed) -> Scenario:
    """``acme/web`` in the emulator (``scenario.open_prs()`` opens #1 feat/a and #2 feat/b)."""
    return Scenario(sandbox, fake_helmfile, workspace, kube=fake_kube).setup(seed)
