"""Which tags are created, unchanged, moved or refused (pure, no AWS)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release_kit.errors import ConflictError
from release_kit.registry.plan import Mutability, TagAction, conflicting, plan_tags
from release_kit.registry.tags import MovePolicy

NEW = "sha256:" + "1" * 64
OLD = "sha256:" + "2" * 64
LATEST = MovePolicy.parse(["latest"])


def actions(plan_changes: object) -> dict[str, str]:
    return {c.tag: str(c.action) for c in plan_changes}  # type: ignore[attr-defined]


def test_created_unchanged_moved() -> None:
    plan = plan_tags(["1.4.0", "1.4", "latest"], NEW, {"1.4": NEW, "latest": OLD}, LATEST)
    assert actions(plan.changes) == {"1.4.0": "created", "1.4": "unchanged", "latest": "moved"}
    assert plan.changes[2].previous == OLD
    assert [c.tag for c in plan.writes] == ["1.4.0", "latest"]
    plan.check("acme/web")  # nothing refused


def test_rerun_writes_nothing() -> None:
    plan = plan_tags(["1.4.0", "latest"], NEW, {"1.4.0": NEW, "latest": NEW}, LATEST)
    assert plan.writes == []
    assert {c.action for c in plan.changes} == {TagAction.UNCHANGED}


def test_release_tag_on_another_digest_is_refused_with_both_digests() -> None:
    plan = plan_tags(["1.4.0", "latest"], NEW, {"1.4.0": OLD, "latest": OLD}, LATEST)
    assert [r.tag for r in plan.refusals] == ["1.4.0"]
    with pytest.raises(ConflictError) as err:
        plan.check("acme/web")
    assert OLD in err.value.message and NEW in err.value.message
    assert "'1.4.0'" in err.value.message
    assert "allow-move" in str(err.value.hint)


def test_star_allows_every_move() -> None:
    plan = plan_tags(["1", "1.4"], NEW, {"1": OLD, "1.4": OLD}, MovePolicy.parse(["*"]))
    assert actions(plan.changes) == {"1": "moved", "1.4": "moved"}


def test_immutable_repository_refuses_even_allowed_moves() -> None:
    plan = plan_tags(["1.4.0", "latest"], NEW, {"latest": OLD}, LATEST, Mutability("IMMUTABLE"))
    assert actions(plan.changes) == {"1.4.0": "created"}
    with pytest.raises(ConflictError) as err:
        plan.check("acme/web")
    assert "immutable" in err.value.message
    assert OLD in err.value.message


def test_unchanged_tags_are_fine_in_an_immutable_repository() -> None:
    plan = plan_tags(["1.4.0"], NEW, {"1.4.0": NEW}, LATEST, Mutability("IMMUTABLE"))
    assert not plan.refusals


@pytest.mark.parametrize(("mode", "filters", "tag", "immutable"), [
    ("MUTABLE", (), "latest", False),
    ("IMMUTABLE", (), "latest", True),
    ("IMMUTABLE_WITH_EXCLUSION", ("latest", "dev-*"), "latest", False),
    ("IMMUTABLE_WITH_EXCLUSION", ("latest", "dev-*"), "dev-42", False),
    ("IMMUTABLE_WITH_EXCLUSION", ("latest",), "1.4.0", True),
    ("MUTABLE_WITH_EXCLUSION", ("1.*",), "1.4.0", True),
    ("MUTABLE_WITH_EXCLUSION", ("1.*",), "latest", False),
    ("MUTABLE_WITH_EXCLUSION", ("1.?",), "1.4", False),  # only * is a wildcard
])
def test_mutability(mode: str, filters: tuple[str, ...], tag: str, immutable: bool) -> None:
    assert Mutability(mode, filters).is_immutable(tag) is immutable


def test_conflicting_tags_decide_whether_mutability_is_needed() -> None:
    assert conflicting(["a", "b", "c"], NEW, {"a": NEW, "b": OLD}) == ["b"]


DIGESTS = st.sampled_from([NEW, OLD, "sha256:" + "3" * 64])
TAG_NAMES = st.sampled_from(["1.4.0", "1.4", "1", "latest", "edge"])


@given(tags=st.lists(TAG_NAMES, unique=True, min_size=1),
       existing=st.dictionaries(TAG_NAMES, DIGESTS),
       allowed=st.sets(TAG_NAMES), mode=st.sampled_from(["MUTABLE", "IMMUTABLE"]))
def test_every_tag_is_decided_once_and_consistently(
    tags: list[str], existing: dict[str, str], allowed: set[str], mode: str
) -> None:
    plan = plan_tags(tags, NEW, existing, MovePolicy.parse(sorted(allowed)), Mutability(mode))
    decided = [c.tag for c in plan.changes] + [r.tag for r in plan.refusals]
    assert sorted(decided) == sorted(tags)
    for change in plan.changes:
        assert (change.action is TagAction.CREATED) == (change.tag not in existing)
        assert (change.action is TagAction.UNCHANGED) == (existing.get(change.tag) == NEW)
        if change.action is TagAction.MOVED:
            assert change.tag in allowed and mode == "MUTABLE"
    for refusal in plan.refusals:
        assert refusal.current == existing[refusal.tag] != NEW
    # Applying the plan and planning again leaves nothing to write.
    after = {**existing, **{c.tag: NEW for c in plan.writes}}
    again = plan_tags([c.tag for c in plan.changes], NEW, after, MovePolicy.parse([]))
    assert again.writes == [] and again.refusals == ()
