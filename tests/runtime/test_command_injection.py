"""Untrusted text stays text: no payload printed by an action reaches the runner as a command.

Each payload carries PWNED; it goes through every way an action prints (free text, the messages
and properties of release-kit's own commands, anything printed on stdout or stderr during a
run, outputs and summary printed locally) and the output is read the way the runner reads it
(``workflow_commands``): the only commands found must be the ones release-kit issued itself.
"""

from __future__ import annotations

import io
import random
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.runtime.injection_payloads import PAYLOADS
from tests.runtime.workflow_commands import find, parse_line

from release_kit.action import commands
from release_kit.action.outputs import Outputs, Summary


def test_the_payload_set_is_large_and_every_payload_is_a_command_when_printed_raw() -> None:
    assert len(PAYLOADS) >= 100
    live = [p for p in PAYLOADS if any("PWNED" in f.line for f in find(p))]
    # what the neutralisation is up against: each one, printed as is, issues a command (the
    # spellings with a hidden character only if the runner's comparison skips it, as ICU does)
    assert len(live) == len(PAYLOADS), sorted(set(PAYLOADS) - set(live))[:5]


def captured(fn, *args: object, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with redirect_stdout(out):
        fn(*args, **kwargs)
    return out.getvalue()


def names(output: str) -> list[str]:
    return [found.command for found in find(output)]


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p)[1:30] for p in PAYLOADS])
def test_no_payload_issues_a_command_through_any_way_of_printing(payload: str) -> None:
    assert names(captured(commands.info, payload)) == []
    assert names(captured(commands.info, f"$ helmfile --state-values-set x={payload} apply")) == []
    assert names(captured(commands.error, payload, title=payload)) == ["error"]
    assert names(captured(commands.warning, f"branch {payload}", title="t")) == ["warning"]
    assert names(captured(commands.notice, payload)) == ["notice"]

    def grouped() -> None:
        with commands.group(payload):
            commands.info(payload)

    assert names(captured(grouped)) == ["group", "endgroup"]
    assert names(captured(Outputs(None).set, "url", payload)) == []
    assert names(captured(Summary(None).write, f"## {payload}\n")) == []


def test_debug_messages_are_neutralised_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNER_DEBUG", "1")
    for payload in PAYLOADS:
        assert names(captured(commands.debug, payload)) == ["debug"]


def test_anything_printed_during_a_run_is_neutralised(capsys: pytest.CaptureFixture[str]) -> None:
    with commands.neutralised_output():
        for payload in PAYLOADS:
            print(payload)
            sys.stderr.write(payload + "\n")
            commands.error("own error")
            sys.stdout.write(payload[:3])  # a line left open: the next command starts a new one
            commands.notice("own notice")
    out, err = capsys.readouterr()
    assert names(err) == []
    assert names(out) == ["error", "notice"] * len(PAYLOADS)


@pytest.mark.parametrize("seed", range(5))
def test_a_stream_written_in_pieces_is_neutralised_as_a_whole(seed: int) -> None:
    text = "\n".join(PAYLOADS)
    rng = random.Random(seed)
    raw = io.StringIO()
    stream = commands.NeutralisingStream(raw)
    at = 0
    while at < len(text):
        step = rng.randint(1, 7)
        stream.write(text[at:at + step])
        at += step
    assert raw.getvalue() == commands.neutralise(text)
    assert names(raw.getvalue()) == []


def test_neutralised_text_stays_readable() -> None:
    assert commands.neutralise("plain helmfile output: Comparing release=web") == \
        "plain helmfile output: Comparing release=web"
    assert commands.neutralise("::set-output name=x::y") == ": :set-output name=x::y"
    assert commands.neutralise("  ::add-mask::s") == "  : :add-mask::s"
    assert commands.neutralise("see ##[error]x and a::b") == "see ## [error]x and a::b"
    assert commands.neutralise("ok\r::x\n##[y]") == "ok\r: :x\n## [y]"
    assert commands.neutralise("key: value :: not at the start") == "key: value :: not at the start"
    assert commands.neutralise("\x1b[32m+ replicas: 2\x1b[0m") == "\x1b[32m+ replicas: 2\x1b[0m"


@given(st.lists(st.sampled_from(["::", "##[", "#", ":", "[", " ", "\r", "\n", "\u200b", "\x00",
                                 "\t", "x", "set-output name=a]", "add-mask::", "stop-commands"]),
                max_size=40))
def test_neutralise_is_complete_idempotent_and_only_adds_spaces(pieces: list[str]) -> None:
    text = "".join(pieces)
    out = commands.neutralise(text)
    assert all(parse_line(line) is None for line in out.replace("\r", "\n").split("\n"))
    assert commands.neutralise(out) == out
    rest = iter(out)
    assert all(c in rest for c in text)  # the text is all there, in order
    assert len(out) - len(text) == out.count(" ") - text.count(" ")  # only spaces were added


def test_add_mask_values_stay_exact() -> None:
    secret = "tok##[en::x"
    out = captured(commands.add_mask, secret)
    assert out == f"::add-mask::{secret}\n"


def test_the_runner_and_the_local_outputs_fallback_use_the_one_writer() -> None:
    """Product code prints only through commands (or its neutralised streams)."""
    root = Path(__file__).resolve().parents[2]
    allowed = {
        "shared/release_kit/action/commands.py",   # the one writer
        "shared/release_kit/eks/token.py",         # the ExecCredential on stdout is data for helm
        "shared/release_kit/cli.py",               # usage text, before any action runs
    }
    offenders = []
    for path in [*root.glob("shared/release_kit/**/*.py"), *root.glob("actions/*/main.py")]:
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        if "print(" in text or "sys.stdout.write" in text or "sys.stderr.write" in text:
            offenders.append(rel)
    assert offenders == []
