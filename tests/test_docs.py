"""The docs agree with the code: generated blocks (docs/excerpts.py) are up to date, and the error page lists
exactly the catalogue's codes."""
from __future__ import annotations

import importlib.util
import re

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("excerpts", ROOT / "docs" / "excerpts.py")
excerpts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(excerpts)

REFRESH = "out of date: run `python docs/excerpts.py` and commit the result"


def _blocks(model_blocks: bool) -> list[tuple[str, str, str]]:
    """(file, block name, text in the file) of every generated block that needs the model, or of every other."""
    return [(path.name, name, text) for path in excerpts.doc_files() for name, text in excerpts.generated_blocks(path)
            if (name in excerpts.NEEDS_MODEL) == model_blocks]


def test_every_generated_block_names_a_known_generator():
    names = {name for _, name, _ in _blocks(True) + _blocks(False)}
    assert names == set(excerpts.BLOCKS)


def test_every_error_code_is_on_the_errors_page_and_every_code_there_is_in_the_catalogue():
    from policy_nlp.errors import CATALOGUE

    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    in_table = set(re.findall(r"^\| ([EW]\d{3}) \|", page, re.M))
    assert in_table == set(CATALOGUE)
    assert set(re.findall(r"\b[EW]\d{3}\b", page)) <= set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(set(excerpts.BLOCKS) - excerpts.NEEDS_MODEL))
def test_option_and_error_tables_match_the_code(name):
    expected = excerpts.BLOCKS[name](None)
    for file, block, text in _blocks(False):
        if block == name:
            assert text == expected, f"{file}: {name} {REFRESH}"


def test_the_option_tables_name_every_option_of_every_command():
    import typer

    from policy_nlp.cli import app

    table = excerpts.cli_options()
    for name, command in typer.main.get_command(app).commands.items():
        assert f"### `policy-nlp {name}`" in table
        for param in command.params:
            for option in param.opts if param.param_type_name == "option" else [param.name.upper()]:
                assert f"`{option}`" in table, (name, option)


def test_the_json_excerpts_and_indicator_tables_are_what_the_shipped_model_writes(char_nlp):
    blocks = _blocks(True)
    assert {name for _, name, _ in blocks} == excerpts.NEEDS_MODEL
    fresh = {name: excerpts.BLOCKS[name](char_nlp) for name in excerpts.NEEDS_MODEL}
    for file, name, text in blocks:
        assert text == fresh[name], f"{file}: {name} {REFRESH}"


def test_the_reviewer_json_excerpt_is_json_of_the_schema(char_nlp):
    import json

    import jsonschema

    import policy_nlp

    excerpt = json.loads(excerpts.reviewer_json(char_nlp).split("```json\n")[1].split("```")[0])
    jsonschema.validate(excerpt, policy_nlp.load_schema())


def test_a_block_that_differs_from_the_code_is_reported_and_rewritten(tmp_path):
    page = tmp_path / "page.md"
    stale = "| E001 | an old message | an old fix |\n"
    page.write_text(f"intro\n<!-- generated: errors -->\n{stale}<!-- end generated -->\nafter\n", encoding="utf-8")
    text, changed = excerpts.regenerate(page, None, {})
    assert changed == ["errors"]
    assert stale not in text and excerpts.errors_table() in text and text.endswith("<!-- end generated -->\nafter\n")
    page.write_text(text, encoding="utf-8")
    assert excerpts.regenerate(page, None, {})[1] == []


def test_the_readme_has_two_set_up_commands_and_ci_reads_the_test_command_from_it():
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    set_up = readme.split("\n## ", 2)[1]
    assert set_up.startswith("Two commands") and set_up.count("```bash\n") == 2
    awk = next(line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("cmd=$(awk"))
    command = subprocess.run(["bash", "-c", f"{awk}; echo \"$cmd\""], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    assert command.endswith("python -m pytest") and command in set_up
