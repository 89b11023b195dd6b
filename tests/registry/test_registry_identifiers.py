"""One identifier grammar on every command, --version, untruncated help and shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.commands.identifiers import Identifier, parse
from pipeline.paths import PROJECT_ROOT

MODEL = "penguins"
KEY_ENV = "LEDGER_TEST_SIGNING_KEY"
TOKEN = "0123456789abcdef" * 2


@pytest.mark.parametrize("text, parsed", [
    ("penguins", Identifier("penguins")),
    ("penguins@3", Identifier("penguins", "3")),
    ("penguins@production", Identifier("penguins", "production")),
    ("penguins@latest-approved", Identifier("penguins", "latest-approved")),
    (f"penguins@3:{TOKEN}", Identifier("penguins", "3", TOKEN)),
])
def test_every_form_parses_and_prints_back(text, parsed):
    assert parse(text) == parsed and str(parsed) == text


@pytest.mark.parametrize("text", ["", "penguins@", "penguins@newest", "@3", "penguins@3@4",
                                  f"penguins@production:{TOKEN}", "penguins@3:xyz", "pen guins"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="is not MODEL, MODEL@VERSION"):
        parse(text)


def _ledger(home, *args, env=None):
    return CliRunner(env=env).invoke(cli, ["--home", home, "--signing-key-env", KEY_ENV, *args])


def test_decisions_take_model_at_version_and_aliases(add_version, home, people):
    add_version("validated")
    add_version("validated")
    alice = ("--key", people["alice"].path)
    approved = _ledger(home, *alice, "approve", f"{MODEL}@latest", "--by", "alice",
                       "--reason", "ok")
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.startswith("approved penguins@2 by alice")
    rejected = _ledger(home, *alice, "reject", f"{MODEL}@1", "--by", "alice", "--reason", "worse")
    assert rejected.stdout.startswith("rejected penguins@1 by alice")
    one = _ledger(home, "history", f"{MODEL}@production").stdout.splitlines()
    assert len(one) == 1 + 4  # header + candidate, validated, approved, deployed of @2 only
    assert all(line.split()[2] == "2" for line in one[1:]), one


def test_old_argument_shapes_are_usage_errors_naming_the_grammar(add_version, home):
    add_version("validated")
    old = _ledger(home, "approve", MODEL, "1", "--by", "alice", "--reason", "ok")
    assert old.exit_code == 2
    assert "'penguins': expected MODEL@VERSION or MODEL@ALIAS" in old.stderr
    history = _ledger(home, "history", MODEL, "--version", "1")
    assert history.exit_code == 2 and "No such option '--version'" in history.stderr


def test_rollback_takes_the_model_and_a_version_to_redeploy(add_version, home, people):
    for _ in range(3):
        add_version("deployed")
    wrong = _ledger(home, "rollback", f"{MODEL}@2", "--by", "bob")
    assert wrong.exit_code == 2 and "rollback takes MODEL or MODEL@production" in wrong.stderr
    other = _ledger(home, "rollback", MODEL, "--to", "loans@1", "--by", "bob")
    assert other.exit_code == 2 and "loans@1 is not a version of penguins" in other.stderr
    done = _ledger(home, "--key", people["bob"].path, "rollback", f"{MODEL}@production",
                   "--to", f"{MODEL}@1", "--by", "bob")
    assert done.exit_code == 0, done.output
    assert "rolled back penguins@3 -> penguins@1" in done.stdout


def test_group_options_come_from_the_environment_once(add_version, home):
    add_version("deployed")
    shown = CliRunner(env={"LEDGER_HOME": home, KEY_ENV: "test-key"}).invoke(
        cli, ["--signing-key-env", KEY_ENV, "show", f"{MODEL}@production"])
    assert shown.exit_code == 0 and "version: 1" in shown.stdout


def test_version_and_help_that_does_not_cut_summaries():
    assert CliRunner().invoke(cli, ["--version"]).stdout == \
        f"ledger, version {version('tfx-ledger')}\n"
    page = CliRunner().invoke(cli, ["--help"], terminal_width=80).stdout
    listed = page.split("Commands:")[1].splitlines()
    assert not [line for line in listed if line.endswith("...")], listed
    assert "interrupted after approval)." in page  # push's whole first sentence


def _complete(words: str, home: str) -> tuple[list[str], str]:
    """(completion lines, tensorflow/tfx modules imported) of bash completing `words`."""
    env = dict(os.environ, _LEDGER_COMPLETE="bash_complete", COMP_WORDS=words,
               COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)),
               LEDGER_HOME=home, PYTHONPATH=PROJECT_ROOT)
    code = ("import sys; from pipeline.cli import main; main(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tfx')))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, cwd=PROJECT_ROOT)
    *lines, modules = out.stdout.splitlines()
    return [line for line in lines if line], modules


def test_completion_offers_registered_identifiers_without_tensorflow(add_version, home):
    add_version("deployed")
    add_version("validated")
    lines, modules = _complete("ledger show penguins@", home)
    assert lines == [f"plain,penguins@{v}" for v in
                     ("production", "latest-approved", "latest", "1", "2")], lines
    assert modules == "[]"
    assert _complete("ledger versions p", home)[0] == ["plain,penguins"]
    assert _complete("ledger approve penguins@", str(os.path.dirname(home)))[0] == []
