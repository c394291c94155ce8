"""git check-ref-format rules, shared by branch prefixes (reintegrate-pr) and tag prefixes."""

from __future__ import annotations

import pytest

from release_kit.refnames import prefix_problem, ref_name_problem
from release_kit.versioning.tags import check_ref_fragment


@pytest.mark.parametrize("name", ["release/1.4.0", "v1.2.3", "reintegrate/release/1.4.0", "a-b_c"])
def test_valid_names(name: str) -> None:
    assert ref_name_problem(name) is None


@pytest.mark.parametrize(("name", "why"), [
    ("", "empty"), ("release/", "ends with '/'"), ("release.", "ends with '/' or '.'"),
    ("@", "it is '@'"), ("a..b", "'..'"), ("a@{b", "'@{'"), ("a b", "a space"),
    ("a//b", "'//'"), ("-x", "starts with '/' or '-'"), ("a/.b", "starts with '.'"),
    ("a.lock/b", "ends with '.lock'"), ("a~b", "~ ^ :"),
])
def test_invalid_names_say_why(name: str, why: str) -> None:
    problem = ref_name_problem(name)
    assert problem is not None and why in problem


def test_prefix_is_judged_by_what_can_follow_it() -> None:
    assert prefix_problem("release/") is None  # release/<anything> is fine
    assert prefix_problem("v") is None
    assert prefix_problem(".v") is not None


def test_tag_prefix_errors_use_the_same_rules() -> None:
    with pytest.raises(ValueError, match=r"a path component ends with '.lock'"):
        check_ref_fragment("x.lock/")
