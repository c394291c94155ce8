"""Untrusted text stays text: every renderer of PR titles and commit subjects, through the
Markdown engine GitHub itself uses (cmark-gfm, raw HTML allowed so an escape that fails shows).

What is checked for each payload, in each place it lands (release_kit.text itself, the changelog
of a release, the reintegration PR body, the ticket's message):

- the rendered HTML has only the elements the renderer writes (no <img>, <a href="javascript:">,
  <code>, <em>, headings or extra list items from the payload); the one thing GitHub adds by
  itself is a link on a bare URL (``https://...``, ``www....``), whose target is the text shown;
- the text a reader sees is the payload as typed, on one line (whitespace runs collapsed);
- no ``@name`` or ``@org/team`` that GitHub's mention filter would link (and so notify).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from cmarkgfm import cmark

from release_kit.changelog import DEFAULT_SECTIONS, Entry, render_changelog
from release_kit.reintegration import content
from release_kit.reintegration.model import ComparedCommit, Pull
from release_kit.text import ZERO_WIDTH_SPACE, code, inline, mention, slack, slack_code

PAYLOADS = {
    "team-mention": "Ping @acme/security and @alice, cc @bob-2",
    "img-tag": '<img src=x onerror="alert(1)"> and <script>alert(2)</script>',
    "multi-line": "First line\nSecond line\r\n- a list item\n# a heading\n\n| a | table |",
    "backticks": "Use `rm -rf /` or ``double`` and ```fence```",
    "javascript-link": "[click me](javascript:alert(1)) and ](javascript:alert(2)) ![i](x.png)",
    "emphasis": "**bold** __bold__ *em* _em_ ~~gone~~ \\*escaped\\*",
    "html-comment": "<!-- hidden --> shown? &lt;already escaped&gt; &amp; &#64;alice",
    "unicode-breaks": "one\u2028two\u2029three\x85four\x0bfive",
    "autolink": "<https://evil.example> <alice@example.com> www.example.com",
    "issue-reference": "Fix crash (#12) and GH-13, org/repo#14",
}
# Harmless as typed: GitHub links issue references itself (after Markdown, so no escape could
# stop it; it notifies nobody), as its own release notes do.
HARMLESS_RAW = {"issue-reference"}

OPTIONS = cmark.Options.CMARK_OPT_UNSAFE  # keep raw HTML: a failed escape must show


def to_html(markdown: str) -> str:
    from cmarkgfm import github_flavored_markdown_to_html

    return github_flavored_markdown_to_html(markdown, options=OPTIONS)


class Elements(HTMLParser):
    """The tags, attributes and text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(rendered: str) -> Elements:
    parser = Elements()
    parser.feed(rendered)
    return parser


def written(page: Elements) -> list[str]:
    """The tags, less the links GFM puts on bare URLs: their target is the text shown."""
    tags = []
    for tag, attrs in page.tags:
        href = str(attrs.get("href") or "")
        if tag == "a" and re.fullmatch(r"(https?://|mailto:)[^\s<>\"]+", href) and any(
                href.removeprefix("http://").removeprefix("mailto:") in t for t in page.text):
            continue
        tags.append(tag)
    return tags


def one_line(text: str) -> str:
    """What a reader should see: the payload on one line, mentions defused."""
    return " ".join(text.split()).replace("@", "@" + ZERO_WIDTH_SPACE)


# GitHub's mention filter: an @ after a non-word character (or at the start), then a login.
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


def live_mentions(text: str) -> list[str]:
    return LIVE_MENTION.findall(text)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_inline_renders_as_the_text_typed(payload: str) -> None:
    page = parse(to_html(inline(payload)))
    assert written(page) == ["p"]
    assert page.comments == []
    assert "".join(page.text).strip() == one_line(payload)
    assert live_mentions("".join(page.text)) == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_code_stays_one_code_span(payload: str) -> None:
    page = parse(to_html(code(payload)))
    assert [tag for tag, _ in page.tags] == ["p", "code"]
    assert live_mentions("".join(page.text)) == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_changelog_entry_is_one_list_item_of_text(payload: str) -> None:
    markdown = render_changelog([Entry(payload, frozenset({"bug"}), 7, "alice"),
                       Entry(payload, frozenset(), None, "", "a" * 40)], DEFAULT_SECTIONS)
    page = parse(to_html(markdown))
    assert written(page) == ["h3", "ul", "li", "h3", "ul", "li"]
    items = [line for line in "".join(page.text).splitlines() if line.strip()]
    assert items == ["Fixes", f"{one_line(payload)} (#7) @alice",
                     "Other changes", f"{one_line(payload)} (aaaaaaa)"]
    # The one live mention is the author's credit, which the changelog writes on purpose.
    assert live_mentions("".join(page.text)) == ["@a"]


@pytest.mark.parametrize("author", ["alice", "dependabot[bot]", "bot-9"])
def test_the_author_credit_is_a_mention_only_for_a_login(author: str) -> None:
    assert mention(author) == f"@{author}"


@pytest.mark.parametrize("author", ["@acme/security", "a b", "<img src=x>", "x" * 40])
def test_an_author_that_is_not_a_login_mentions_nobody(author: str) -> None:
    page = parse(to_html(mention(author)))
    assert written(page) == ["p"]
    assert live_mentions("".join(page.text)) == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_reintegration_body_lists_titles_and_subjects_as_text(payload: str) -> None:
    sha = "b" * 40
    commits = (ComparedCommit(sha, f"{payload}\n\nthe body is not listed", "alice",
                      f"https://github.com/acme/web/commit/{sha}"),)
    pulls = (Pull(12, payload, "bob"),)
    body = content.render_pull_body(content.DEFAULT_BODY, source="release/1.4.0", target="main",
                               commits=commits, pulls=pulls)
    page = parse(to_html(body))
    assert written(page) == [
        "p", "code", "code",  # the intro: the two branches
        "h3", "ul", "li",  # the hotfix PR
        "h3", "ul", "li", "a", "code",  # the commit: its sha links to it
    ]
    assert f"https://github.com/acme/web/commit/{sha}" in [
        attrs["href"] for tag, attrs in page.tags if tag == "a"]
    lines = [line for line in "".join(page.text).splitlines() if line.strip()]
    subject = payload.strip().splitlines()[0]  # a commit is listed by its subject line
    assert lines[-4:] == ["Hotfix pull requests", f"#12 {one_line(payload)} (bob)",
                          "Commits", f"bbbbbbb {one_line(subject)} (alice)"]
    assert live_mentions("".join(page.text)) == []
    assert "the body is not listed" not in body


def test_the_old_rendering_let_each_payload_through() -> None:
    """The checks above can fail: the raw title (what release notes carried before) trips them."""
    passed = set()
    for name, payload in PAYLOADS.items():
        page = parse(to_html(f"- {payload} (#7)"))
        text = "".join(page.text)
        if written(page) == ["ul", "li"] and not page.comments and not live_mentions(text) and \
                html.unescape(text).strip() == f"{' '.join(payload.split())} (#7)":
            passed.add(name)
    assert passed == HARMLESS_RAW


# Slack's mrkdwn has no parser here to render with; its rules are few: ``<...>`` is the only
# way to write a mention, a special command (``<!here>``) or a link, ``&``, ``<`` and ``>`` are
# escaped as entities, and ``@here``/``@channel`` typed plainly may ping under ``link_names``.
SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
SLACK_PAYLOADS = {**PAYLOADS, "slack-specials": (
    "<!here> <!channel> <@U024BE7LH> <!subteam^S0123|@team> @channel @here "
    "<https://evil.example|click me> &amp; &lt;")}


@pytest.mark.parametrize("payload", SLACK_PAYLOADS.values(), ids=SLACK_PAYLOADS.keys())
def test_slack_text_cannot_mention_link_or_command(payload: str) -> None:
    for rendered in (slack(payload), slack_code(payload)):
        assert "<" not in rendered and ">" not in rendered
        assert "&" not in SLACK_ENTITY.sub("", rendered)  # every & starts an entity
        assert "\n" not in rendered and not live_mentions(rendered)
    shown = html.unescape(slack(payload))  # what Slack displays: the payload on one line
    assert shown == one_line(payload)


@pytest.mark.parametrize("payload", SLACK_PAYLOADS.values(), ids=SLACK_PAYLOADS.keys())
def test_slack_code_is_one_code_span(payload: str) -> None:
    rendered = slack_code(payload)
    assert rendered.startswith("`") and rendered.endswith("`")
    assert "`" not in rendered[1:-1]


def test_slack_text_is_cut_to_its_limit() -> None:
    assert slack("x" * 50, limit=10) == "x" * 9 + "…"
    assert slack_code("") == ""
