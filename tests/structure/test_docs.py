"""The README is a user's page; the reference in docs/ names only commands and options that
exist, documents every command there is, and links only to files that exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from inference.cli import COMMANDS, build_parser
from viewer.cli import build_parser as build_viewer_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(text: str) -> list[str]:
    """Every `dcreview ...` command line of a page: code lines (with their continuation
    lines) and inline code."""
    found, current = [], None
    in_fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        code = in_fence or line.startswith("    ")
        stripped = line.strip()
        if code and stripped.startswith("dcreview"):
            current = stripped.split("#")[0]
            found.append(current)
        elif code and current is not None and stripped.startswith(("[", "--", "-")):
            found[-1] += " " + stripped.split("#")[0]
        else:
            current = None
    found += re.findall(r"`(dcreview [^`]+)`", text)
    return [c.rstrip("\\ ") for c in found]


def _options(text: str) -> list[str]:
    return [m.split("=")[0] for m in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", text)]


def _check(command: str) -> list[str]:
    """Problems with one documented command line (empty: it exists as written)."""
    words = command.split()[1:]
    engine = build_parser()
    if not words or words[0] not in COMMANDS:
        parser = build_viewer_parser()
        rest = " ".join(words[1:] if words[:1] == ["view"] else words)
        known = set(parser._option_string_actions) | set(engine._option_string_actions)
        return [f"{command!r}: no option {o}" for o in _options(rest) if o not in known]
    parser = _subparsers(engine)[words[0]]
    rest = words[1:]
    subs = _subparsers(parser)
    if subs:
        if not rest:
            return []  # the command group itself, named in prose
        names = rest[0].split("|")
        missing = [n for n in names if n not in subs]
        if missing:
            return [f"{command!r}: no subcommand {words[0]} {'/'.join(missing)}"]
        problems = []
        for name in names:
            known = set(subs[name]._option_string_actions)
            problems += [f"{command!r}: {words[0]} {name} has no option {o}"
                         for o in _options(" ".join(rest[1:])) if o not in known]
        return problems
    known = set(parser._option_string_actions)
    return [f"{command!r}: {words[0]} has no option {o}" for o in _options(" ".join(rest))
            if o not in known]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_documented_command_exists(page):
    commands = _commands(page.read_text())
    problems = [p for c in commands for p in _check(c)]
    assert problems == []


def test_every_command_and_subcommand_is_documented():
    text = "\n".join(p.read_text() for p in PAGES)
    documented = {" ".join(c.split()[1:3]) for c in _commands(text)}
    documented |= {" ".join(c.split()[1:2]) for c in _commands(text)}
    alternatives = set()
    for c in _commands(text):
        words = c.split()
        if len(words) > 2 and "|" in words[2]:
            alternatives |= {f"{words[1]} {n}" for n in words[2].split("|")}
    documented |= alternatives
    missing = []
    for name, parser in _subparsers(build_parser()).items():
        subs = _subparsers(parser)
        missing += [f"{name} {s}" for s in subs if f"{name} {s}" not in documented]
        if not subs and name not in documented:
            missing.append(name)
    assert missing == []


def test_the_readme_is_a_users_page():
    text = (ROOT / "README.md").read_text()
    assert len(text) <= 10_000
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^    (\S.*)$", setup, re.M) == ["make run", "make test"]
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
    assert images and all((ROOT / i).is_file() for i in images)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_to_a_file(page):
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text())
    broken = [link for link in links if "://" not in link
              and not (page.parent / link).exists()]
    assert broken == []


def test_a_wrong_command_or_option_is_caught():
    assert _check("dcreview batch M -o O --evaluate") == []
    assert _check("dcreview batch M -o O --evalute") != []
    assert _check("dcreview study init|verfy STUDY") != []
    assert _check("dcreview view PATH --overlay X --opacity 0.5") == []
    assert _check("dcreview view PATH --overlays X") != []
