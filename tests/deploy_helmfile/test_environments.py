"""Pure decisions: environment kinds, namespaces, the label controller, URLs, bookkeeping."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release_kit.environments.bookkeeping import (
    Deployment,
    Requester,
    active_environments,
    destroy_decision,
    replacement_comment,
    replacements,
    reusable,
)
from release_kit.environments.kinds import Kind, classify
from release_kit.environments.namespaces import (
    Admission,
    ClaimedNamespaceError,
    ForeignNamespaceError,
    NamespaceState,
    TerminatingNamespaceError,
    admit,
    marks,
    removal,
)
from release_kit.environments.naming import (
    DNS_1123_LABEL,
    RESERVED,
    namespace_for,
    preview_namespace,
    validate_namespace,
)
from release_kit.environments.plan import (
    DEFAULT_ENV_LABELS,
    LabelledPullRequest,
    parse_env_labels,
    plan_environments,
)
from release_kit.environments.triggers import UntrustedTriggerError, check_trigger
from release_kit.environments.urls import Ingress, UrlChoice, choose_url
from release_kit.errors import InputError


@pytest.mark.parametrize(("name", "kind", "shared", "transient", "production"), [
    ("preview", Kind.PREVIEW, False, True, False),
    ("qa1", Kind.QA, True, True, False),
    ("qa12", Kind.QA, True, True, False),
    ("dev", Kind.DEV, False, False, False),
    ("staging", Kind.STAGING, False, False, False),
    ("production", Kind.PRODUCTION, False, False, True),
    ("hotfix", Kind.HOTFIX, True, False, False),
    ("qa", Kind.OTHER, False, False, False),
    ("qa0", Kind.OTHER, False, False, False),
    ("sandbox", Kind.OTHER, False, False, False),
])
def test_kinds(name: str, kind: Kind, shared: bool, transient: bool, production: bool) -> None:
    env = classify(name)
    assert (env.kind, env.shared, env.transient, env.production) == (kind, shared, transient, production)
    assert env.per_branch == (kind is Kind.PREVIEW)


@pytest.mark.parametrize(("branch", "slug"), [
    ("feature/Login-Page", "feature-login-page"),
    ("FEAT__x..y", "feat-x-y"),
    ("--weird--", "weird"),
    ("default", "default"),
    ("kube-system", "kube-system"),
    ("production", "production"),
    ("qa2", "qa2"),
    ("argocd", "argocd"),
])
def test_preview_namespace_is_prefix_slug_and_hash_of_the_exact_name(branch: str, slug: str) -> None:
    digest = hashlib.sha256(branch.encode()).hexdigest()[:8]
    assert preview_namespace(branch) == f"preview-{slug}-{digest}"


def test_branches_with_the_same_slug_get_different_namespaces() -> None:
    names = {preview_namespace(b) for b in ("Feature/Foo", "feature-foo", "feature/foo", "FEATURE_FOO")}
    assert len(names) == 4 and all(n.startswith("preview-feature-foo-") for n in names)
    # the same branch always gets the same one (every repository's PR on it shares it)
    assert preview_namespace("Feature/Foo") == preview_namespace("Feature/Foo")


def test_a_preview_never_gets_the_namespace_of_anything_else() -> None:
    for branch in ("argocd", "monitoring", "default", "production", "qa1", "kube-system", "dev"):
        assert preview_namespace(branch) != branch
        assert preview_namespace(branch).startswith("preview-")


def test_long_branches_are_cut_to_63_and_do_not_collide() -> None:
    a = preview_namespace("feature/" + "x" * 80 + "-one")
    b = preview_namespace("feature/" + "x" * 80 + "-two")
    assert len(a) == 63 and len(b) == 63 and a != b
    assert a == preview_namespace("feature/" + "x" * 80 + "-one")
    assert a.startswith("preview-feature-xxxx")


def test_empty_or_symbol_only_branch_names_still_give_a_namespace() -> None:
    assert DNS_1123_LABEL.match(preview_namespace("///"))
    assert preview_namespace("///") == "preview-" + hashlib.sha256(b"///").hexdigest()[:8]
    assert preview_namespace("///") != preview_namespace("---")


@given(st.text(max_size=120))
def test_preview_namespace_is_always_a_usable_label(branch: str) -> None:
    ns = preview_namespace(branch)
    assert DNS_1123_LABEL.match(ns) and len(ns) <= 63 and ns not in RESERVED
    assert ns.startswith("preview-") and ns.endswith(hashlib.sha256(branch.encode()).hexdigest()[:8])


def test_namespace_for_each_kind() -> None:
    assert namespace_for(classify("preview"), "feat/a") == preview_namespace("feat/a")
    assert namespace_for(classify("qa3"), "feat/a") == "qa3"
    for name in ("dev", "staging", "production", "hotfix", "sandbox"):
        assert namespace_for(classify(name), "feat/a") == name
    assert namespace_for(classify("preview"), "feat/a", "custom-ns") == "custom-ns"


@pytest.mark.parametrize("bad", ["Upper", "under_score", "-lead", "trail-", "x" * 64, "kube-system", "default",
                                 "kube-flannel"])
def test_invalid_namespaces_name_the_input(bad: str) -> None:
    with pytest.raises(InputError) as info:
        validate_namespace(bad)
    assert info.value.input_name == "namespace"


def test_environment_that_is_not_a_namespace_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        namespace_for(classify("Team X"), "main")
    assert info.value.input_name == "environment"


def _pr(action: str, labels: set[str], state: str = "open") -> LabelledPullRequest:
    pr = LabelledPullRequest.from_event("pull_request", {
        "action": action,
        "number": 7,
        "pull_request": {"number": 7, "state": state, "head": {"ref": "feat/a", "sha": "abc"},
                         "labels": [{"name": n} for n in sorted(labels)]},
    })
    assert pr is not None
    return pr


def test_plan_opened_deploys_labelled_environments() -> None:
    assert plan_environments(_pr("opened", {"deploy", "bug"}), DEFAULT_ENV_LABELS, set()).deploy == ["preview"]
    assert plan_environments(_pr("opened", set()), DEFAULT_ENV_LABELS, set()).deploy == []


def test_plan_labeled_adds_qa_and_keeps_preview() -> None:
    result = plan_environments(_pr("labeled", {"deploy", "deploy/qa2"}), DEFAULT_ENV_LABELS, {"preview"})
    assert result.deploy == ["preview", "qa2"] and result.destroy == []


def test_plan_unlabeled_destroys_only_what_still_runs() -> None:
    result = plan_environments(_pr("unlabeled", {"deploy"}), DEFAULT_ENV_LABELS, {"preview", "qa2"})
    assert result.deploy == ["preview"] and result.destroy == ["qa2"]
    # qa3 lost its label but never ran this branch (or was replaced): nothing to destroy
    assert plan_environments(_pr("unlabeled", set()), DEFAULT_ENV_LABELS, set()).destroy == []


def test_plan_closed_destroys_everything_active() -> None:
    result = plan_environments(_pr("closed", {"deploy", "deploy/qa1"}, state="closed"), DEFAULT_ENV_LABELS,
                  {"preview", "qa1", "dev"})
    assert result.deploy == [] and result.destroy == ["preview", "qa1"]


def test_plan_other_events_are_empty() -> None:
    assert LabelledPullRequest.from_event("push", {"ref": "refs/heads/main"}) is None
    result = plan_environments(None, DEFAULT_ENV_LABELS, {"preview"})
    assert (result.deploy, result.destroy) == ([], [])


def test_env_labels_validation() -> None:
    assert parse_env_labels({"qa9": " deploy/qa9 "}) == {"qa9": "deploy/qa9"}
    for bad in ({"qa1": ["x"]}, {"qa1": ""}, {"qa1": "x", "qa2": "x"}, {}, {"qa1": None}):
        with pytest.raises(InputError) as info:
            parse_env_labels(bad)
        assert info.value.input_name == "env-labels"


URL = "outputs.webapp-url"


def helm_ingress(name: str, release: str, host: str, **annotations: str) -> Ingress:
    return Ingress(name, {"meta.helm.sh/release-name": release, **annotations}, [host])


def test_url_comes_from_this_helmfiles_release_in_a_shared_namespace() -> None:
    # acme/api and acme/web in one namespace: "api" sorts first, but web's deploy gets web's URL
    api = helm_ingress("api", "api", "api.production.example.com", **{URL: "https://api.example.com"})
    web = helm_ingress("web", "web", "web.production.example.com")
    choice = choose_url([api, web], URL, "https://t", releases=["web"])
    assert choice == UrlChoice("https://web.production.example.com",
                               "Ingresses of release web: first host of Ingress web")
    assert choose_url([api, web], URL, "https://t", releases=["api"]).url == "https://api.example.com"
    # the instance label names the release as well (charts that set it, Helm < 3.2)
    labelled = Ingress("www", {}, ["www.example.com"], {"app.kubernetes.io/instance": "web"})
    assert choose_url([api, labelled], URL, releases=["web"]).url == "https://www.example.com"


def test_another_releases_ingress_is_never_the_url() -> None:
    api = helm_ingress("api", "api", "api.dev.example.com", **{URL: "https://api.example.com"})
    choice = choose_url([api], URL, "https://web.example.com", releases=["web"])
    assert choice.url == "https://web.example.com" and not choice.guessed
    assert "api belong to other releases" in choice.reason
    assert choose_url([api], URL, releases=["web"]).url == ""
    # an unlabelled Ingress next to another release's: no way to tell, the template wins
    plain = Ingress("legacy", {}, ["legacy.example.com"])
    guess = choose_url([api, plain], URL, "https://t", releases=["web"])
    assert (guess.url, guess.guessed) == ("https://t", True)


def test_no_release_metadata_takes_the_only_ingress_and_never_guesses_among_several() -> None:
    only = Ingress("web", {URL: "https://app.example.com"}, ["web.example.com"])
    choice = choose_url([only], URL, "https://t", releases=["web"])
    assert (choice.url, choice.guessed) == ("https://app.example.com", True)
    assert choice.reason.startswith("no Ingress carries Helm release metadata; taking the "
                                    "namespace's only Ingress")
    other = Ingress("api", {}, ["api.example.com"])
    several = choose_url([only, other], URL, "https://t", releases=["web"])
    assert (several.url, several.guessed) == ("https://t", True)
    assert "not guessing among Ingresses api, web" in several.reason


def test_helmfile_list_failed_single_ingress_or_template() -> None:
    api = helm_ingress("api", "api", "api.example.com")
    web = helm_ingress("web", "web", "web.example.com")
    single = choose_url([web], URL, "https://t", releases=None)
    assert (single.url, single.guessed) == ("https://web.example.com", True)
    assert single.reason.startswith("helmfile did not list its releases")
    assert choose_url([api, web], URL, "https://t", releases=None) == UrlChoice(
        "https://t", "helmfile did not list its releases; not guessing among Ingresses api, web; "
        "using the url template", guessed=True)
    assert choose_url([], URL, releases=None) == UrlChoice(
        "", "no Ingress in the namespace; using no URL (no url template either)")


def test_url_annotation_wins_over_hosts_then_template() -> None:
    annotated = helm_ingress("b", "web", "b.example.com", **{URL: " https://app.example.com/x "})
    plain = Ingress("a", {"meta.helm.sh/release-name": "web"},
                    ["*.wild.example.com", "a.example.com"])
    mine = ["web"]
    assert choose_url([plain, annotated], URL, "https://t", mine).url == "https://app.example.com/x"
    assert choose_url([plain, annotated], "other", "https://t", mine).url == "https://a.example.com"
    assert choose_url([plain, annotated], "", "https://t", mine).url == "https://a.example.com"
    bare = Ingress("c", {"meta.helm.sh/release-name": "web"})
    assert choose_url([bare], URL, "https://t", mine).url == "https://t"
    assert choose_url([], URL, releases=mine).url == ""


QA2 = classify("qa2")


def test_reuse_the_newest_deployment_when_it_is_this_commit_and_ref() -> None:
    existing = [Deployment(1, "qa2", "feat/a", "abc"), Deployment(5, "qa2", "feat/a", "abc"),
                Deployment(7, "qa1", "feat/b", "abc")]
    found = reusable(existing, "qa2", Requester("feat/a", "abc", 7))
    assert found is not None and found.id == 5
    assert reusable(existing, "qa2", Requester("feat/a", "def", 7)) is None
    assert reusable(existing, "qa2", Requester("feat/b", "abc", 8)) is None
    # another deploy came in between: a new deployment keeps the active one the newest
    existing.append(Deployment(6, "qa2", "feat/b", "bbb"))
    assert reusable(existing, "qa2", Requester("feat/a", "abc", 7)) is None


def test_shared_environment_replacement_notifies_the_other_pr() -> None:
    who = Requester("feat/new", "bbb", 123)
    existing = [
        Deployment(1, "qa2", "feat/old", "aaa", "success", 45),
        Deployment(2, "qa2", "feat/gone", "ccc", "inactive", 46),
        Deployment(3, "qa2", "feat/new", "b00", "success", 123),  # this PR's older commit
        Deployment(4, "qa1", "feat/x", "ddd", "success", 47),
        Deployment(9, "qa2", "feat/new", "bbb", "in_progress", 123),
    ]
    result = replacements(existing, QA2, who, current_id=9)
    assert [(r.deployment.id, r.notify_pull_request) for r in result] == [(1, 45), (3, None)]
    assert replacement_comment("qa2", who) == "qa2 now runs #123; your deployment was replaced."
    assert "`main` (0123456)" in replacement_comment("hotfix", Requester("main", "0123456789"))


def test_preview_replacement_only_touches_the_same_branch() -> None:
    existing = [Deployment(1, "preview", "feat/a", "a1", "success", 1),
                Deployment(2, "preview", "feat/b", "b1", "success", 2),
                Deployment(3, "preview", "feat/a", "a2", "in_progress", 1)]
    result = replacements(existing, classify("preview"), Requester("feat/a", "a2", 1), 3)
    assert [(r.deployment.id, r.notify_pull_request) for r in result] == [(1, None)]


def test_dev_replacement_inactivates_previous_commit_silently() -> None:
    existing = [Deployment(1, "dev", "main", "a1", "success"), Deployment(2, "dev", "main", "a2", "")]
    result = replacements(existing, classify("dev"), Requester("main", "a2"), 2)
    assert [(r.deployment.id, r.notify_pull_request) for r in result] == [(1, None)]


def test_destroy_decision() -> None:
    who = Requester("feat/a", "aaa", 7)
    mine = Deployment(1, "qa2", "feat/a", "aaa", "success", 7)
    old = Deployment(0, "qa2", "feat/a", "a00", "inactive", 7)
    decision = destroy_decision([old, mine], QA2, who)
    assert decision.run_helmfile and decision.deactivate == [mine]
    taken = Deployment(2, "qa2", "feat/b", "bbb", "success", 8)
    decision = destroy_decision([old, taken], QA2, who)
    assert not decision.run_helmfile and "feat/b" in decision.reason and decision.deactivate == []
    # preview is per branch: other branches never block a destroy
    other = Deployment(3, "preview", "feat/b", "bbb", "success", 8)
    assert destroy_decision([other], classify("preview"), who).run_helmfile


def test_active_environments_for_a_ref() -> None:
    existing = [Deployment(1, "preview", "feat/a", "a", "success"),
                Deployment(2, "qa1", "feat/a", "a", "inactive"),
                Deployment(3, "qa2", "feat/a", "a", "failure"),
                Deployment(4, "qa3", "feat/b", "b", "success")]
    assert active_environments(existing, "feat/a") == {"preview", "qa2"}


def test_without_deployment_records_labels_stand_in_for_active_environments() -> None:
    from release_kit.environments.plan import assumed_active

    pr = LabelledPullRequest.from_event("pull_request", {
        "action": "unlabeled", "label": {"name": "deploy/qa3"},
        "pull_request": {"number": 1, "state": "open", "head": {"ref": "f", "sha": "s"},
                         "labels": [{"name": "deploy"}]},
    })
    assert assumed_active(pr, DEFAULT_ENV_LABELS) == {"preview", "qa3"}
    assert plan_environments(pr, DEFAULT_ENV_LABELS, assumed_active(pr, DEFAULT_ENV_LABELS)).destroy == ["qa3"]
    assert assumed_active(None, DEFAULT_ENV_LABELS) == set()


# -- namespace ownership (pure) ------------------------------------------------------------------


PREVIEW = classify("preview")


def made(environment: str, branch: str = "", name: str = "ns") -> NamespaceState:
    labels, annotations = marks(classify(environment), branch)
    return NamespaceState(name, labels, annotations)


def test_marks_name_the_manager_the_environment_and_a_previews_exact_branch() -> None:
    assert marks(PREVIEW, "Feature/Foo") == (
        {"app.kubernetes.io/managed-by": "release-kit"},
        {"release-kit/environment": "preview", "release-kit/environment-kind": "preview",
         "release-kit/branch": "Feature/Foo"})
    assert marks(classify("production"), "v1.2.0")[1] == {
        "release-kit/environment": "production", "release-kit/environment-kind": "production"}


def test_admit() -> None:
    assert admit(None, PREVIEW, "feat/a", adopt=False) is Admission.CREATE
    assert admit(made("preview", "feat/a"), PREVIEW, "feat/a", adopt=False) is Admission.USE
    assert admit(made("dev"), classify("dev"), "main", adopt=False) is Admission.USE
    foreign = NamespaceState("argocd", {"app.kubernetes.io/managed-by": "Helm"})
    with pytest.raises(ForeignNamespaceError, match="argocd already exists"):
        admit(foreign, PREVIEW, "argocd", adopt=False)
    assert admit(foreign, PREVIEW, "argocd", adopt=True) is Admission.ADOPT
    with pytest.raises(ClaimedNamespaceError, match="preview of branch 'feature-foo'"):
        admit(made("preview", "feature-foo"), PREVIEW, "Feature/Foo", adopt=False)
    with pytest.raises(ClaimedNamespaceError, match="for production, not for preview"):
        admit(made("production"), PREVIEW, "feat/a", adopt=False)
    with pytest.raises(ClaimedNamespaceError):
        admit(made("qa1"), classify("qa2"), "feat/a", adopt=False)
    assert admit(made("qa1"), classify("qa2"), "feat/a", adopt=True) is Admission.ADOPT
    gone = NamespaceState("ns", *marks(PREVIEW, "feat/a"), terminating=True)
    with pytest.raises(TerminatingNamespaceError):
        admit(gone, PREVIEW, "feat/a", adopt=True)


def test_removal_only_of_a_previews_own_empty_namespace() -> None:
    mine = made("preview", "feat/a")
    assert removal(mine, PREVIEW, "feat/a", []).delete
    assert not removal(mine, PREVIEW, "feat/a", ["api"]).delete
    assert "Helm releases api still run" in removal(mine, PREVIEW, "feat/a", ["api"]).reason
    assert not removal(mine, PREVIEW, "feat/b", []).delete  # another branch's
    assert not removal(NamespaceState("argocd"), PREVIEW, "argocd", []).delete  # not release-kit's
    assert not removal(None, PREVIEW, "feat/a", []).delete
    for fixed in ("dev", "staging", "production", "hotfix", "sandbox-eu"):
        decision = removal(made(fixed), classify(fixed), "main", [])
        assert not decision.delete and "fixed environment" in decision.reason
    assert not removal(made("qa1"), classify("qa1"), "feat/a", []).delete  # a QA slot stays


def test_fixed_environments() -> None:
    assert {n for n in ("preview", "qa1", "dev", "staging", "production", "hotfix", "x")
            if classify(n).fixed} == {"dev", "staging", "production", "hotfix", "x"}


# -- trigger hygiene (pure) ------------------------------------------------------------------------



def _payload(head: object, base: object = "acme/web") -> dict:
    return {"pull_request": {"head": {"repo": head if not isinstance(head, str) else {"full_name": head}},
                             "base": {"repo": {"full_name": base}}}}


def test_check_trigger() -> None:
    check_trigger("pull_request", _payload("acme/web"), "acme/web", "x")
    check_trigger("push", {"ref": "refs/heads/main"}, "acme/web", "x")
    with pytest.raises(UntrustedTriggerError, match="pull_request_target"):
        check_trigger("pull_request_target", _payload("acme/web"), "acme/web", "x")
    with pytest.raises(UntrustedTriggerError, match="fork mallory/web"):
        check_trigger("pull_request", _payload("mallory/web"), "acme/web", "x")
    for unknown in (None, {}, {"full_name": 3}):
        with pytest.raises(UntrustedTriggerError, match="unknown"):
            check_trigger("pull_request", _payload(unknown), "acme/web", "x")
