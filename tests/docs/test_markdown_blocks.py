"""The doc-test's reading of Markdown: which blocks run, what a covered-by marker demands."""
from __future__ import annotations

import pytest

from tests.docs.markdown_blocks import blocks, broken_links, machine_paths, problems

DOC = """# Title

```bash
ledger models
```

<!-- doc-test: covered-by tests/check.py -->

```bash
# a comment is not a command line
ledger serve penguins@production --port 8501
curl -s localhost:8501/v1/models/penguins
```

Some prose.

```text
output, never run
```
"""


def test_blocks_in_order_with_their_marker():
    found = blocks("doc.md", DOC)
    assert [(b.line, b.info, b.covered_by) for b in found] == [
        (3, "bash", None), (9, "bash", "tests/check.py"), (17, "text", None)]
    assert found[1].command_lines() == ["ledger serve penguins@production --port 8501",
                                        "curl -s localhost:8501/v1/models/penguins"]


def test_a_marker_applies_only_to_the_next_block():
    text = "<!-- doc-test: covered-by t.py -->\nprose\n\n```bash\nls\n```\n"
    assert blocks("doc.md", text)[0].covered_by is None


def test_a_covering_file_must_hold_every_command_line(tmp_path):
    (tmp_path / "tests").mkdir()
    covering = tmp_path / "tests" / "check.py"
    covering.write_text('SERVE = "ledger serve penguins@production --port 8501"\n')
    marked = blocks("doc.md", DOC)[1]
    assert problems(marked, str(tmp_path)) == [
        "doc.md:9: tests/check.py does not contain the command line "
        "'curl -s localhost:8501/v1/models/penguins'"]
    covering.write_text(covering.read_text() + 'CURL = "curl -s localhost:8501/v1/models/penguins"')
    assert problems(marked, str(tmp_path)) == []
    covering.unlink()
    assert problems(marked, str(tmp_path)) == ["doc.md:9: covered-by tests/check.py: no such file"]


@pytest.mark.parametrize("info", ["sh", "console", "shell"])
def test_shell_blocks_under_another_name_are_refused(info):
    [block] = blocks("doc.md", f"```{info}\nledger models\n```\n")
    assert problems(block, ".") == [f"doc.md:1: ```{info} blocks are not run; use ```bash (run by "
                                    "the doc-test) or ```text (output)"]


def test_an_unclosed_fence_names_its_line():
    with pytest.raises(ValueError, match="doc.md:2: code fence ``` is never closed"):
        blocks("doc.md", "x\n```bash\nls\n")


def test_machine_paths_are_found_and_urls_are_not():
    text = ("see /tmp/lh3/serving\nroot /root/x\n`/work/main/data`\n/home/me\n"
            "https://example.com/home/page\ngs://bucket/tmp/x\n~/home/x\n$LEDGER_HOME/serving\n")
    assert [p.split(":")[1] for p in machine_paths("doc.md", text)] == ["1", "2", "3", "4"]


def test_relative_links_must_resolve_from_the_files_directory(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("x")
    text = ("[guide](docs/guide.md#runs) [web](https://x.org/a.md) [top](#top)\n"
            "[gone](docs/serving.md) [mail](mailto:a@b.c)\n")
    assert broken_links("README.md", text, str(tmp_path)) == [
        "README.md:2: link to docs/serving.md goes nowhere"]
    assert broken_links("docs/x.md", "[back](../README.md)", str(tmp_path)) == [
        "docs/x.md:1: link to ../README.md goes nowhere"]
