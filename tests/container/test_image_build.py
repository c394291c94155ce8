"""What pins the action image and what publishes it, without building it: the Dockerfile's
rules, the lock files and `make lock` (tools/lock.py), and the release tree (tools/release_tree.py)
against a real registry (Debian's docker-registry on loopback). The built image itself is checked
in test_image.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.promote_image import images
from tests.promote_image.distribution import Registry, running

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
REQUIREMENTS = ROOT / "requirements"
sys.path.insert(0, str(ROOT / "tools"))
import release_tree  # noqa: E402

PRODUCT = ROOT / "shared" / "release_kit"


def product_sources() -> list[Path]:
    """The product's Python files that the image ships: shared/release_kit (its link to actions/
    is not followed) and the actions' entrypoints."""
    return sorted(PRODUCT.rglob("*.py")) + sorted((ROOT / "actions").glob("*/main.py"))


def instructions(text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            joined.append(current.strip())
            current = ""
    return joined


# -- the Dockerfile -------------------------------------------------------------------------------


def test_the_base_is_pinned_by_digest() -> None:
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.\d+-slim@sha256:[0-9a-f]{64}", base[1])
    assert [i for i in instructions(DOCKERFILE) if i.startswith("FROM ")] == ["FROM ${BASE_IMAGE}"]


def test_every_install_checks_hashes_and_leaves_no_installer_behind() -> None:
    """uv comes from the build lock into /tmp, installs the image lock, and goes, in one step (so
    that no layer holds it); both installs check every hash and install exactly the lock."""
    installing = [i for i in instructions(DOCKERFILE) if "pip install" in i]
    assert len(installing) == 1
    step = installing[0]
    installs = re.findall(r"(?:pip|uv pip) install [^&;]*", step)
    assert [("build.txt" in i, "image.txt" in i) for i in installs] == [(True, False), (False, True)]
    for install in installs:
        assert "--require-hashes" in install and "--no-deps" in install, install
        assert "--only-binary :all:" in install or "--no-build" in install, install
    assert "--target /tmp/build-tools" in step
    assert step.endswith("rm -rf /tmp/build-tools /tmp/pip-venv /tmp/requirements /root/.cache")
    assert "COPY --from" not in DOCKERFILE


def test_the_sandbox_stays_out_of_the_build_context() -> None:
    """Everything is ignored but three folders, and the sandbox (its own distribution) lives in
    none of them (the image test checks the built image holds none of it)."""
    lines = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert [line for line in lines if line.startswith("!")] == [
        "!requirements/", "!shared/", "!actions/"]
    assert (ROOT / "sandbox" / "release_kit_sandbox" / "__init__.py").is_file()
    assert not [p for p in (ROOT / "shared").rglob("*") if "sandbox" in p.name]


def test_botocore_keeps_the_models_of_every_service_the_product_calls() -> None:
    kept = set(re.search(r'BOTOCORE_SERVICES="([^"]+)"', DOCKERFILE)[1].split())  # type: ignore[index]
    used: set[str] = set()
    for path in product_sources():
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'client\(\s*(?:session,\s*)?"([a-z0-9-]+)"', text))
        used |= set(re.findall(r'ServiceId\("([a-z0-9-]+)"\)', text))
    assert used, "no AWS client found in the product: the scan is broken"
    assert used <= kept, f"the image drops botocore's model of {sorted(used - kept)}"
    assert kept <= used | {"sts"}, f"kept but unused: {sorted(kept - used - {'sts'})}"


def test_the_product_never_imports_what_the_image_leaves_out() -> None:
    excluded = [line.strip() for line in (REQUIREMENTS / "image-excludes.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    modules = [name.replace("-", "_") for name in excluded] + ["kubernetes.aio"]
    pattern = re.compile(r"^\s*(?:import|from)\s+(" + "|".join(map(re.escape, modules)) + r")\b",
                         re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in product_sources()
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# -- the lock files -------------------------------------------------------------------------------


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a uv/pip requirements file with hashes."""
    entries: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pinned = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if pinned:
            name = pinned[1].lower().replace("_", "-")
            entries[name] = (pinned[2], [])
        elif (digest := re.search(r"--hash=sha256:([0-9a-f]{64})", line)) and name:
            entries[name][1].append(digest[1])
        else:
            raise AssertionError(f"{path.name}: not a pinned requirement or a hash: {line!r}")
    return entries


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for path in (REQUIREMENTS / "image.txt", REQUIREMENTS / "build.txt"):
        entries = locked(path)
        assert entries
        assert {name for name, (_, hashes) in entries.items() if not hashes} == set()


def test_the_image_lock_covers_the_products_dependencies_less_the_exclusions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {re.match(r"[A-Za-z0-9._-]+", dep)[0].lower().replace("_", "-")  # type: ignore[index]
              for dep in project["project"]["dependencies"]}
    entries = locked(REQUIREMENTS / "image.txt")
    assert wanted <= set(entries), f"not locked: {sorted(wanted - set(entries))}"
    assert {"aiohttp", "aiohttp-retry"}.isdisjoint(entries)
    assert {"pip", "setuptools", "wheel", "uv"}.isdisjoint(entries)


def test_the_build_lock_pins_uv_only() -> None:
    build_in = [line.strip() for line in (REQUIREMENTS / "build.in").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert len(build_in) == 1 and re.fullmatch(r"uv==[\d.]+", build_in[0])
    assert locked(REQUIREMENTS / "build.txt").keys() == {"uv"}
    assert locked(REQUIREMENTS / "build.txt")["uv"][0] == build_in[0].removeprefix("uv==")


@pytest.fixture(scope="session")
def uv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The pinned uv: `make lock`'s copy when there is one, else installed (hash-checked)."""
    made = ROOT / ".venv" / "build-tools" / "bin" / "uv"
    if made.is_file():
        return str(made)
    target = tmp_path_factory.mktemp("build-tools")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--only-binary", ":all:", "--require-hashes", "--target", str(target),
                    "--requirement", str(REQUIREMENTS / "build.txt")], check=True, timeout=300)
    return str(target / "bin" / "uv")


def repo_copy(tmp_path: Path) -> Path:
    """What tools/lock.py reads and writes, copied (the tests never touch the checkout)."""
    copy = tmp_path / "repo"
    (copy / "requirements").mkdir(parents=True)
    for name in ("Dockerfile", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for path in REQUIREMENTS.iterdir():
        shutil.copy2(path, copy / "requirements" / path.name)
    return copy


def fake_skopeo(folder: Path, *, answer: bytes | None, exit_code: int = 0) -> dict[str, str]:
    """A skopeo on PATH that prints ``answer`` (or fails) and records its arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answer").write_bytes(answer or b"")
    script = folder / "skopeo"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{folder}/calls"\n'
                      + (f'cat "{folder}/answer"\n' if exit_code == 0
                         else f'echo "pinging container registry: no such host" >&2\nexit {exit_code}\n'),
                      encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def run_lock(uv: str, copy: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "lock.py"), "--uv", uv,
                           "--root", str(copy), *args], capture_output=True, text=True, env=env,
                          timeout=600, check=False)


def index_of(*platforms: str) -> bytes:
    manifests = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "digest": "sha256:" + hashlib.sha256(p.encode()).hexdigest(), "size": 1000,
                  "platform": {"os": p.split("/")[0], "architecture": p.split("/")[1]}}
                 for p in platforms]
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": manifests}).encode()


def test_the_committed_locks_are_what_make_lock_writes(uv: str, tmp_path: Path) -> None:
    """pyproject.toml or requirements/*.in changed without `make lock`: this fails."""
    copy = repo_copy(tmp_path)
    proc = run_lock(uv, copy, dict(os.environ), "--keep-base-digest")
    assert proc.returncode == 0, proc.stderr
    for name in ("image.txt", "build.txt"):
        assert (copy / "requirements" / name).read_text() == (REQUIREMENTS / name).read_text(), (
            f"requirements/{name} is stale: run `make lock BASE=keep` and commit it")
    assert "up to date" in proc.stdout


def test_make_lock_pins_the_digest_of_the_base_index(uv: str, tmp_path: Path) -> None:
    copy = repo_copy(tmp_path)
    answer = index_of("linux/amd64", "linux/arm64", "linux/arm/v7")
    env = fake_skopeo(tmp_path / "bin", answer=answer)
    proc = run_lock(uv, copy, env)
    assert proc.returncode == 0, proc.stderr
    digest = "sha256:" + hashlib.sha256(answer).hexdigest()
    assert f"ARG BASE_IMAGE=python:3.12-slim@{digest}\n" in (copy / "Dockerfile").read_text()
    assert (tmp_path / "bin" / "calls").read_text().split() == [
        "inspect", "--raw", "docker://docker.io/library/python:3.12-slim"]


@pytest.mark.parametrize(("answer", "exit_code", "message"), [
    (None, 1, "cannot read docker://docker.io/library/python:3.12-slim"),
    (index_of("linux/amd64"), 0, "has no linux/arm64 image"),
    (b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}', 0,
     "single-platform manifest"),
    (b"<html>not json</html>", 0, "is not a manifest"),
])
def test_make_lock_writes_nothing_when_the_base_cannot_be_pinned(
    uv: str, tmp_path: Path, answer: bytes | None, exit_code: int, message: str
) -> None:
    copy = repo_copy(tmp_path)
    (copy / "requirements" / "image.txt").write_text("# stale\n")  # would be rewritten
    before = {p.name: p.read_bytes() for p in [copy / "Dockerfile", *(copy / "requirements").iterdir()]}
    proc = run_lock(uv, copy, fake_skopeo(tmp_path / "bin", answer=answer, exit_code=exit_code))
    assert proc.returncode == 1
    assert message in proc.stderr and "nothing was written" in proc.stderr
    assert "make lock BASE=keep" in proc.stderr or exit_code == 0
    after = {p.name: p.read_bytes() for p in [copy / "Dockerfile", *(copy / "requirements").iterdir()]}
    assert after == before


# -- the release tree -----------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "why"), [
    ("ghcr.io/acme/github-actions/release-kit", "no tag"),
    ("release-kit:1.0.0", "no registry"),
    ("acme/release-kit:1.0.0", "no registry host (Docker Hub's short form)"),
    ("ghcr.io/Acme/release-kit:1.0.0", "upper case in the path"),
    ("ghcr.io/acme/release-kit:1.0.0 ", "trailing space is stripped: valid"),
    ("", "empty"),
])
def test_a_bad_image_is_refused_with_the_fix(image: str, why: str) -> None:
    if why.endswith("valid"):
        assert release_tree.parse_image(image).text == image.strip()
        return
    with pytest.raises(release_tree.UsageError, match=r"is not <registry>/<path>:<tag>.*IMAGE="):
        release_tree.parse_image(image)


def test_loopback_registries_are_spoken_to_over_http() -> None:
    assert release_tree.parse_image("127.0.0.1:5000/a/b:1").loopback
    assert release_tree.parse_image("localhost:5000/a/b:1").loopback
    assert release_tree.parse_image("[::1]:5000/a/b:1").loopback
    assert not release_tree.parse_image("ghcr.io/a/b:1").loopback
    assert not release_tree.parse_image("127.example.com/a/b:1").loopback  # a host name
    assert not release_tree.parse_image("10.0.0.1:5000/a/b:1").loopback


ACTION = """name: x
description: y
runs:
  using: docker
  image: ../../Dockerfile # zizmor: ignore[unpinned-images] a reason
  args: [x]
branding:
  icon: tag
"""


def test_pin_action_replaces_the_image_line_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    path.write_text(ACTION, encoding="utf-8")
    release_tree.pin_action(path, "docker://r.example/a@sha256:" + "0" * 64)
    expected = ACTION.replace(
        "  image: ../../Dockerfile # zizmor: ignore[unpinned-images] a reason",
        "  image: docker://r.example/a@sha256:" + "0" * 64)
    assert path.read_text(encoding="utf-8") == expected
    assert yaml.safe_load(expected)["runs"]["image"].startswith("docker://")


@pytest.mark.parametrize(("text", "message"), [
    (ACTION.replace("image: ../../Dockerfile", "image: docker://x/y@sha256:" + "1" * 64),
     "is already a release tree"),
    (ACTION.replace("  using: docker\n", "  using: node20\n"), "runs.using is not docker"),
    (ACTION.replace("  image: ../../Dockerfile # zizmor: ignore[unpinned-images] a reason\n", ""),
     "expected one runs.image line, found 0"),
])
def test_pin_action_refuses_what_it_cannot_pin(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "action.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(release_tree.UsageError, match=re.escape(message)):
        release_tree.pin_action(path, "docker://r.example/a@sha256:" + "0" * 64)
    assert path.read_text(encoding="utf-8") == text


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with running(tmp_path / "registry") as reg:
        yield reg


def release(out: Path, image: str, *platforms: str) -> tuple[int, str]:
    argv = ["--out", str(out), "--image", image]
    for platform in platforms:
        argv += ["--require-platform", platform]
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "release_tree.py"), *argv],
                          capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_release_tree_pins_every_action_to_the_registrys_digest(
    registry: Registry, tmp_path: Path
) -> None:
    sample = images.index(images.image(1), images.image(2))  # linux/amd64 and linux/arm64
    registry.push("release-kit/actions", sample, "1.4.0")
    out = tmp_path / "release"
    code, output = release(out, f"{registry.host}/release-kit/actions:1.4.0",
                           "linux/amd64", "linux/arm64")
    assert code == 0, output
    reference = f"docker://{registry.host}/release-kit/actions@{sample.digest}"
    actions = sorted(ROOT.glob("actions/*/action.yml"))
    assert len(actions) == 5
    for source in actions:
        pinned = out / source.relative_to(ROOT)
        assert yaml.safe_load(pinned.read_text())["runs"]["image"] == reference
        assert yaml.safe_load(pinned.read_text())["inputs"] == yaml.safe_load(source.read_text())["inputs"]
    # Every other file of the checkout as it is.
    for name in ("Dockerfile", "pyproject.toml", "requirements/image.txt",
                 ".github/workflows/test-actions.yml", "shared/release_kit/cli.py"):
        assert (out / name).read_bytes() == (ROOT / name).read_bytes()
    assert not (out / ".venv").exists() and not (out / ".git").exists()
    marker = json.loads((out / release_tree.MARKER).read_text())
    assert (marker["digest"], marker["platforms"]) == (sample.digest, ["linux/amd64", "linux/arm64"])
    assert marker["source"]["commit"] and f"{reference}" in output
    # The release tree passes zizmor with the unpinned-images audit on.
    zizmor = ROOT / ".venv" / "bin" / "zizmor"
    if zizmor.is_file():
        proc = subprocess.run([str(zizmor), "--offline", "--quiet", "--config",
                               str(ROOT / ".github" / "zizmor.yml"),
                               *[str(out / a.relative_to(ROOT)) for a in actions]],
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_release_tree_reruns_replace_their_own_tree_and_nothing_else(
    registry: Registry, tmp_path: Path
) -> None:
    first, second = images.image(3), images.image(4)
    registry.push("rk", first, "1")
    registry.push("rk", second, "2")
    out = tmp_path / "release"
    assert release(out, f"{registry.host}/rk:1")[0] == 0
    (out / "stray").write_text("left by hand")
    code, output = release(out, f"{registry.host}/rk:2")
    assert code == 0, output
    assert second.digest in (out / "actions/semver-bump/action.yml").read_text()
    assert not (out / "stray").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry", "release"]  # nothing beside
    # A directory that is not a release tree is never touched.
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep").write_text("mine")
    code, output = release(other, f"{registry.host}/rk:2")
    assert code == 1 and "is not a release tree" in output
    assert [p.name for p in other.iterdir()] == ["keep"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "registry", "release"]


@pytest.mark.parametrize(("reference", "platforms", "message"), [
    ("rk:9.9.9", (), "cannot read"),  # no such tag
    ("rk:1", ("linux/arm64",), "holds linux/amd64, not linux/arm64"),
    ("rk:1@sha256:" + "f" * 64, (), "not sha256:ffff"),  # the tag names another digest
])
def test_release_tree_fails_before_writing_anything(
    registry: Registry, tmp_path: Path, reference: str, platforms: tuple[str, ...], message: str
) -> None:
    registry.push("rk", images.image(5), "1")
    out = tmp_path / "release"
    code, output = release(out, f"{registry.host}/{reference}", *platforms)
    assert code == 1 and message in output, output
    assert output.startswith("release-tree: ") and "Traceback" not in output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["registry"]
