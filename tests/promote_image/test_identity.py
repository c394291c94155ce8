"""Composite identity: what went into an image, in its tag and its labels.

The pure parts (the contributors label, its parsing, the refs of a template) without any server;
then promote-image's ``operation: identity`` against the sandbox's GitHub emulator (refs and
version tags resolved there), and a promotion that renders ``{short_sha:<ref>}`` from the
source image's label and reports the contributors.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from release_kit.errors import InputError
from release_kit.registry.identity import (
    CONTRIBUTORS,
    OCI_VERSION,
    Contributor,
    commits,
    contributors_of,
    labels,
    split_ref,
)
from release_kit.registry.provenance import REVISION
from release_kit.registry.tags import expand_tags, refs_used, template_values
from release_kit_sandbox import Sandbox
from tests.harness import ActionResult, run_action
from tests.promote_image.conftest import REGION
from tests.promote_image.images import image, push, tags_of
from tests.promote_image.test_action import ecr, ecr_client  # noqa: F401 - the fixture

OWN = "0123456789abcdef0123456789abcdef01234567"
UPSTREAM = "89abcdef0123456789abcdef0123456789abcdef"
BASE = "fedcba9876543210fedcba9876543210fedcba98"


# -- pure ------------------------------------------------------------------------------------

def test_a_ref_names_this_repository_or_another() -> None:
    assert split_ref("main", "acme/web") == ("acme/web", "main")
    assert split_ref("release/1.4", "acme/web") == ("acme/web", "release/1.4")
    assert split_ref("acme/base@v2", "acme/web") == ("acme/base", "v2")


def test_the_label_lists_every_contributor_and_reads_back() -> None:
    own = Contributor("acme/web", OWN, "", "1.4.1")
    others = [Contributor("acme/web", UPSTREAM, "main", "1.4.0"),
              Contributor("acme/base", BASE, "acme/base@v2", "")]
    found = labels(own, others)
    assert found[OCI_VERSION] == "1.4.1"
    assert json.loads(found[CONTRIBUTORS])[0] == {
        "repository": "acme/web", "ref": "", "revision": OWN, "version": "1.4.1"}
    parsed, problem = contributors_of(found)
    assert problem == "" and parsed == (own, *others)
    assert commits(parsed) == {"main": UPSTREAM, "acme/base@v2": BASE}
    assert labels(own, others) == found  # deterministic: a rebuild labels the same
    assert OCI_VERSION not in labels(Contributor("acme/web", OWN), [])


@pytest.mark.parametrize(("text", "says"), [
    ("not json", "not JSON"),
    ("{}", "not a list"),
    ("[]", "not a list"),
    ('[{"repository": "acme/web", "revision": "abc"}]', "not a repository at a commit"),
    ('[{"repository": "acme web", "revision": "' + OWN + '"}]', "not a repository at a commit"),
    ('[{"repository": "acme/web", "revision": 42}]', "not a contributor"),
    ("[" + ",".join(['"x"'] * 30) + "]", "not a list"),
])
def test_a_label_that_is_not_what_the_build_writes_is_refused_whole(text: str, says: str) -> None:
    parsed, problem = contributors_of({CONTRIBUTORS: text})
    assert parsed == () and says in problem


def test_no_label_is_no_contributors_and_no_problem() -> None:
    assert contributors_of({REVISION: OWN}) == ((), "")


def test_a_promotion_template_takes_its_refs_from_the_contributors() -> None:
    values = template_values("1.4.0", sha=OWN, ref_name="")
    assert refs_used(["{short_sha}-{short_sha:main}", "{version}", "{sha:main}"]) == ["main"]
    tags = expand_tags(["{short_sha}-{short_sha:main}", "{version}-{short_sha:acme/base@v2}"],
                       values, refs={"main": UPSTREAM, "acme/base@v2": BASE})
    assert tags == [f"{OWN[:7]}-{UPSTREAM[:7]}", f"1.4.0-{BASE[:7]}"]
    with pytest.raises(InputError) as info:
        expand_tags(["{short_sha:develop}"], values, refs={"main": UPSTREAM},
                    refs_from="the contributors label of acme/web:sha-x")
    assert info.value.input_name == "tags"
    assert "acme/web:sha-x names no commit for 'develop' (refs known: main)" in info.value.message


# -- identity: the tag and labels of a build, against the emulator -----------------------------

@pytest.fixture
def web(sandbox: Sandbox) -> dict[str, str]:
    """acme/web with main (tagged v1.4.0) and a development branch one commit ahead."""
    emu = sandbox.github
    git = emu.create_repo("acme/web").git
    main = git.out("rev-parse", "refs/heads/main")
    git.update_ref("refs/tags/v1.4.0", main)
    dev = git.commit_files(main, {"dev.txt": b"dev\n"}, "Development only\n",
                           ("Dev", "dev@example.com"))
    git.update_ref("refs/heads/development", dev)
    base = emu.create_repo("acme/base").git.out("rev-parse", "refs/heads/main")
    return {"main": main, "development": dev, "base": base}


def identify(sandbox: Sandbox, sha: str, **inputs: object) -> ActionResult:
    given: dict[str, object] = {"operation": "identity", "repository": "acme/web",
                                "tags": "{short_sha}-{short_sha:main}"}
    given.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return run_action("promote-image", given, sandbox=sandbox,
                      env={"GITHUB_SHA": sha, "GITHUB_REPOSITORY": "acme/web"})


def test_identity_names_the_build_after_each_contributing_commit(
        sandbox: Sandbox, web: dict[str, str]) -> None:
    result = identify(sandbox, web["development"],
                      tags="{short_sha}-{short_sha:main}-{short_sha:acme/base@main}")
    assert result.exit_code == 0, result
    own, main, base = web["development"], web["main"], web["base"]
    assert result.outputs["tag"] == f"{own[:7]}-{main[:7]}-{base[:7]}"
    contributors = result.json_output("contributors")
    assert contributors == [
        {"repository": "acme/web", "ref": "", "revision": own, "version": ""},
        {"repository": "acme/web", "ref": "main", "revision": main, "version": "1.4.0"},
        {"repository": "acme/base", "ref": "acme/base@main", "revision": base, "version": ""}]
    lines = dict(line.split("=", 1) for line in result.outputs["labels"].splitlines())
    assert json.loads(lines[CONTRIBUTORS]) == contributors
    assert OCI_VERSION not in lines  # the development commit carries no version tag
    assert "### Contributors" in result.summary and "Nothing was written" in result.summary
    assert sandbox.github.writes() == []


def test_identity_of_a_released_commit_carries_its_version(
        sandbox: Sandbox, web: dict[str, str]) -> None:
    result = identify(sandbox, web["main"], tags="sha-{sha}")
    assert result.exit_code == 0, result
    assert result.outputs["tag"] == f"sha-{web['main']}"
    lines = dict(line.split("=", 1) for line in result.outputs["labels"].splitlines())
    assert lines[OCI_VERSION] == "1.4.0"
    assert len(json.loads(lines[CONTRIBUTORS])) == 1


@pytest.mark.parametrize(("tags", "input_name", "says"), [
    ("{short_sha:nope}", "tags", "'nope' names no commit in acme/web"),
    ("{short_sha:acme/missing@main}", "tags", "names no commit in acme/missing"),
    ("{short_sha:}-{version:main}", "tags", "is not a plain variable"),
])
def test_identity_refuses_refs_it_cannot_resolve(
        sandbox: Sandbox, web: dict[str, str], tags: str, input_name: str, says: str) -> None:
    result = identify(sandbox, web["development"], tags=tags)
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == f"Invalid input '{input_name}'" and says in error.message
    assert "tag" not in result.outputs


# -- promote: refs from the source image's label, contributors reported --------------------------

def promote(sandbox: Sandbox, **inputs: object) -> ActionResult:
    given: dict[str, object] = {"repository": "acme/web", "aws-region": REGION,
                                "version": "1.4.0", "revision": OWN}
    given.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return run_action("promote-image", given, sandbox=sandbox, env={"GITHUB_SHA": OWN})


def composite(version: str = "") -> dict[str, str]:
    own = Contributor("acme/web", OWN, "", version)
    return {REVISION: OWN, **labels(own, [Contributor("acme/web", UPSTREAM, "main", "1.3.0")])}


def test_promotion_renders_refs_from_the_label_and_reports_the_contributors(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:  # noqa: F811
    img = image(1, labels=composite())
    push(ecr, "acme/web", img, f"{OWN[:7]}-{UPSTREAM[:7]}")
    result = promote(sandbox, source=f"{OWN[:7]}-{UPSTREAM[:7]}",
                     tags=["{version}-{short_sha:main}", "{version}"])
    assert result.exit_code == 0, result
    assert tags_of(ecr, "acme/web")[f"1.4.0-{UPSTREAM[:7]}"] == img.digest
    assert [c["ref"] for c in result.json_output("contributors")] == ["", "main"]
    assert f"| `acme/web` | `main` | `{UPSTREAM}` | `1.3.0` |" in result.summary


def test_a_ref_the_image_does_not_list_is_an_error_before_any_write(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:  # noqa: F811
    push(ecr, "acme/web", image(2, labels={REVISION: OWN}), f"sha-{OWN}")
    ecr_writes.clear()
    result = promote(sandbox, tags=["{version}-{short_sha:main}"])
    assert result.exit_code == 1
    [error] = result.errors
    assert "names no commit for 'main' (refs known: none)" in error.message
    assert ecr_writes == Counter()
    assert result.outputs == {}


def test_an_unreadable_contributors_label_is_a_warning_not_a_report(
        sandbox: Sandbox, ecr: Any) -> None:  # noqa: F811
    push(ecr, "acme/web", image(3, labels={REVISION: OWN, CONTRIBUTORS: "[oops"}), f"sha-{OWN}")
    result = promote(sandbox, tags=["{version}"])
    assert result.exit_code == 0, result
    assert [w.title for w in result.warnings] == ["Image contributors unreadable"]
    assert result.json_output("contributors") == []
    assert "### Contributors" not in result.summary
