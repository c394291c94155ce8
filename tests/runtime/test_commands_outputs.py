"""Workflow command escaping, masking, groups, outputs and the summary."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from tests.harness import parse_commands, parse_file_command

from release_kit.action import commands
from release_kit.action.context import Context
from release_kit.action.outputs import Outputs, Summary, heredoc
from release_kit.text import markdown_table


def capture(fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    with redirect_stdout(buf):
        fn(*args, **kwargs)
    return buf.getvalue()


def test_message_escaping_matches_the_runner() -> None:
    assert commands.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert commands.format_command("error", "a\nb", title="t: x, y") == "::error title=t%3A x%2C y::a%0Ab"


def test_property_escaping_round_trips_through_the_parser() -> None:
    line = capture(commands.error, "50%\nof it", title="Invalid input 'a,b': c", file="x.py", line=3)
    (ann,) = parse_commands(line)
    assert ann.command == "error"
    assert ann.message == "50%\nof it"
    assert ann.properties == {"title": "Invalid input 'a,b': c", "file": "x.py", "line": "3"}


def test_mask_is_emitted_once_per_secret_and_per_line() -> None:
    out = capture(commands.add_mask, "line-one-secret\nline-two-secret")
    masked = {a.message for a in parse_commands(out)}
    assert {"line-one-secret", "line-two-secret"} <= masked
    assert capture(commands.add_mask, "line-one-secret") == ""


def test_debug_only_under_runner_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNNER_DEBUG", raising=False)
    assert capture(commands.debug, "hidden") == ""
    monkeypatch.setenv("RUNNER_DEBUG", "1")
    assert capture(commands.debug, "shown") == "::debug::shown\n"


def test_group_is_closed_when_the_body_raises() -> None:
    buf = io.StringIO()
    with redirect_stdout(buf), pytest.raises(ValueError), commands.group("build"):
        raise ValueError
    assert buf.getvalue() == "::group::build\n::endgroup::\n"


def test_heredoc_delimiter_never_occurs_in_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    fixed = iter([uuid.UUID(int=1), uuid.UUID(int=1), uuid.UUID(int=2)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(fixed))
    value = f"x\nghadelimiter_{uuid.UUID(int=1)}\ny"
    text = heredoc("out", value)
    assert f"<<ghadelimiter_{uuid.UUID(int=2)}\n" in text
    assert parse_file_command(text) == {"out": value}


def test_outputs_file_round_trip_and_undeclared_name_refused(tmp_path: Path) -> None:
    path = tmp_path / "out"
    outputs = Outputs(str(path), declared={"a", "b", "c"})
    outputs.update({"a": "plain", "b": "two\nlines", "c": ["x", {"k": True}]})
    assert parse_file_command(path.read_text()) == {
        "a": "plain", "b": "two\nlines", "c": '["x",{"k":true}]'}
    with pytest.raises(KeyError):
        outputs.set("nope", 1)


def test_outputs_and_summary_print_locally_when_files_unset() -> None:
    out = capture(Outputs(None).set, "version", "1.2.3")
    assert out == "version=1.2.3\n"
    assert capture(Summary(None).write, "## hi") == "## hi\n"


def test_markdown_table_escapes_pipes_and_newlines() -> None:
    table = markdown_table(["a", "b"], [["x|y", "1\n2"]])
    assert table.splitlines()[2] == "| x\\|y | 1<br>2 |"


def test_context_release_kit_urls_win_for_links_but_not_for_the_run() -> None:
    runner = {"GITHUB_REPOSITORY": "acme/web", "GITHUB_RUN_ID": "99",
              "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com"}
    ctx = Context.from_env({**runner,
                            "RELEASE_KIT_GITHUB_SERVER_URL": "http://172.17.0.1:8080/_html/",
                            "RELEASE_KIT_GITHUB_API_URL": "http://172.17.0.1:8080"})
    assert (ctx.server_url, ctx.api_url) == ("http://172.17.0.1:8080/_html",
                                             "http://172.17.0.1:8080")
    assert ctx.run_url == "https://github.com/acme/web/actions/runs/99"  # the runner's run
    blank = Context.from_env({**runner, "RELEASE_KIT_GITHUB_SERVER_URL": " ",
                              "RELEASE_KIT_GITHUB_API_URL": ""})
    assert (blank.server_url, blank.api_url) == ("https://github.com", "https://api.github.com")


def test_context_from_env_and_run_url(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"number": 7}}')
    ctx = Context.from_env({
        "GITHUB_REPOSITORY": "acme/web", "GITHUB_RUN_ID": "99", "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_SERVER_URL": "https://ghe.example.com/", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(tmp_path),
    })
    assert ctx.run_url == "https://ghe.example.com/acme/web/actions/runs/99/attempts/2"
    assert ctx.event["pull_request"]["number"] == 7
    assert (ctx.owner, ctx.repo_name, ctx.workspace) == ("acme", "web", tmp_path)
