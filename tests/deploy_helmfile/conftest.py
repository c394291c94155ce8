"""Fixtures of the deploy-helmfile tests: a workspace with a helmfile, the fake helmfile on
PATH, and the fake Kubernetes API with a kubeconfig pointing at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy_helmfile.fakes import FakeKube, helmfile_calls, install_fake_helmfile


@dataclass
class FakeHelmfile:
    bin_dir: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
                "FAKE_HELMFILE_LOG": str(self.log), **extra}

    @property
    def calls(self) -> list[dict[str, Any]]:
        return helmfile_calls(self.log)


@pytest.fixture
def fake_helmfile(tmp_path: Path) -> FakeHelmfile:
    install_fake_helmfile(tmp_path / "bin")
    return FakeHelmfile(tmp_path / "bin", tmp_path / "helmfile-calls.jsonl")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "deploy").mkdir(parents=True)
    (ws / "deploy" / "helmfile.yaml").write_text("releases: []\n", encoding="utf-8")
    return ws


@pytest.fixture(scope="session")
def fake_kube_server() -> Iterator[FakeKube]:
    with FakeKube() as kube:
        yield kube


@pytest.fixture
def fake_kube(fake_kube_server: FakeKube, workspace: Path) -> FakeKube:
    """The fake API, emptied, with ``workspace/kubeconfig`` pointing at it."""
    fake_kube_server.namespaces.clear()
    fake_kube_server.requests.clear()
    fake_kube_server.kubeconfig(workspace / "kubeconfig")
    return fake_kube_server
