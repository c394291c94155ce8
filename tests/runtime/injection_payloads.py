"""Workflow-command injection payloads: each one, printed as is, issues a command carrying PWNED.

The ``::`` form at the start of a line (after spaces, tabs, NBSP and other Unicode spaces, after
\r, \n and the line separators, behind NUL and zero-width characters), the legacy ``##[`` form
anywhere (mid-line, after \r, behind a third ``#``), and both spelled with a character hidden
inside (which the runner's culture-sensitive comparison may skip). Upper-case names too: the
runner's command names are case-insensitive.
"""

from __future__ import annotations

from itertools import product

V2 = [
    "::set-output name=x::PWNED", "::add-mask::PWNED", "::stop-commands::PWNED",
    "::set-env name=X::PWNED", "::add-path::/PWNED", "::save-state name=s::PWNED",
    "::error::PWNED", "::warning title=PWNED::x", "::notice::PWNED", "::debug::PWNED",
    "::group::PWNED", "::endgroup::PWNED", "::echo::on PWNED", "::add-matcher::/PWNED.json",
    "::remove-matcher owner=PWNED::", "::SET-OUTPUT name=x::PWNED", "::Add-Mask::PWNED",
]
V1 = [
    "##[set-output name=x]PWNED", "##[add-mask]PWNED", "##[stop-commands]PWNED",
    "##[set-env name=X]PWNED", "##[error]PWNED", "##[warning]PWNED", "##[debug]PWNED",
    "##[group]PWNED", "##[endgroup]PWNED", "##[add-path]/PWNED", "##[SET-OUTPUT name=x]PWNED",
    "##[save-state name=s]PWNED",
]
# Where a "::" command may still start a line for the runner.
LINE_START = [
    "{}", " {}", "\t{}", "   \t {}", "\xa0{}", "\u2003{}", "\u3000{}", "ok\r{}", "ok\n{}",
    "ok\r\n{}", "\r{}", "\u200b{}", "\ufeff{}", "\x00{}", "\u2028{}", "\x85{}", "\v{}", "\f{}",
    "{}\nafter",
]
# Where "##[" may hide: anywhere, and behind characters the runner's comparison ignores.
ANYWHERE = [
    "{}", "text {}", "x\r{}", "#{}", "{} trailing", "\u200b{}", "name=value {}", "a\r\n{}",
    "helm: {}", "\t{}",
]
SPLIT_V2 = [":\u200b:", ":\x00:", ":\u00ad:", ":\ufeff:"]
SPLIT_V1 = ["#\u200b#[", "##\u200b[", "#\x00#[", "#\u00ad#[", "#\u2060#["]

PAYLOADS = sorted(
    {form.format(core) for core, form in product(V2, LINE_START)}
    | {form.format(core) for core, form in product(V1, ANYWHERE)}
    | {core.replace("::", split, 1) for core, split in product(V2, SPLIT_V2)}
    | {core.replace("##[", split, 1) for core, split in product(V1, SPLIT_V1)}
)
