"""Fenced code blocks of a Markdown file, and the doc-test's rules about them.

A ```bash block is run by the doc-test; preceded by `<!-- doc-test: covered-by PATH -->`
(blank lines may sit between) it is not run: the test file PATH must hold each of its command
lines verbatim. Shell blocks under another name (sh, shell, console) would escape the doc-test,
so they are refused; output samples go in ```text blocks.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})\s*(?P<info>[^`\s]*)")
COVERED_BY = re.compile(r"^<!--\s*doc-test:\s*covered-by\s+(?P<path>\S+)\s*-->\s*$")
UNRUN_SHELLS = ("sh", "shell", "console", "zsh", "shell-session", "bash-session")
# [text](target) with a relative target (no scheme, not an in-page #anchor).
RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#)(?P<target>[^)\s#]+)(?:#[^)\s]*)?\)")
# An absolute path from a machine, not a URL's path and not part of a longer path.
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:tmp|root|work|home)/")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (1-based line of the fence), its language and text."""

    path: str
    line: int
    info: str
    text: str
    covered_by: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def command_lines(self) -> list[str]:
        """Non-blank, non-comment lines, stripped: what a covering test must contain."""
        return [s for s in (raw.strip() for raw in self.text.splitlines())
                if s and not s.startswith("#")]


def blocks(path: str, text: str) -> list[Block]:
    """Every fenced block of `text` in order; an unclosed fence is an error naming its line."""
    found, lines, index = [], text.splitlines(), 0
    marker = None
    while index < len(lines):
        line = lines[index]
        opened = FENCE.match(line)
        if not opened:
            covered = COVERED_BY.match(line.strip())
            if covered:
                marker = covered["path"]
            elif line.strip():
                marker = None  # a marker applies only to the block right after it
            index += 1
            continue
        fence, start, body = opened["fence"], index + 1, []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ValueError(f"{path}:{start}: code fence {fence} is never closed")
        found.append(Block(path, start, opened["info"].lower(), "\n".join(body) + "\n", marker))
        marker = None
        index += 1
    return found


def problems(block: Block, root: str) -> list[str]:
    """What is wrong with a block before anything runs: a shell block the doc-test would not
    run, a marker on a block that is not bash, or a covering file missing a command line."""
    if block.info in UNRUN_SHELLS:
        return [f"{block.where}: ```{block.info} blocks are not run; use ```bash (run by the "
                "doc-test) or ```text (output)"]
    if block.covered_by is None:
        return []
    if block.info != "bash":
        return [f"{block.where}: covered-by marker on a ```{block.info} block"]
    covering = os.path.join(root, block.covered_by)
    if not os.path.isfile(covering):
        return [f"{block.where}: covered-by {block.covered_by}: no such file"]
    with open(covering, encoding="utf-8") as handle:
        source = handle.read()
    return [f"{block.where}: {block.covered_by} does not contain the command line {line!r}"
            for line in block.command_lines() if line not in source]


def machine_paths(path: str, text: str) -> list[str]:
    """Lines naming an absolute path of this machine (/tmp/, /root/, /work/, /home/)."""
    return [f"{path}:{number}: machine path in {line.strip()!r}"
            for number, line in enumerate(text.splitlines(), 1) if MACHINE_PATH.search(line)]


def broken_links(path: str, text: str, root: str) -> list[str]:
    """Relative links whose target does not exist (resolved from the file's directory)."""
    base = os.path.dirname(os.path.join(root, path))
    return [f"{path}:{number}: link to {found['target']} goes nowhere"
            for number, line in enumerate(text.splitlines(), 1)
            for found in RELATIVE_LINK.finditer(line)
            if not os.path.exists(os.path.normpath(os.path.join(base, found["target"])))]
