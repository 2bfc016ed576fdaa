"""Regenerate the generated parts of README.md and docs/*.md from the code and the shipped model.

    python docs/excerpts.py            # rewrite every generated block in place
    python docs/excerpts.py --check    # exit 1, naming the blocks, if any is out of date

A generated block sits between `<!-- generated: NAME -->` and `<!-- end generated -->`; NAME is one of
BLOCKS below:

- `reviewer-json`, `unit-json`, `explanation-json`: JSON excerpts of seed 001 as the shipped model annotates
  it (character segmenter: labels and scores do not depend on the segmenter, and no pkuseg weights are
  needed), texts shortened;
- `indicator-tables`: the indicators the pipeline finds in the seeds, an excerpt of the long table and the pivot;
- `schema-fields`: every field of the reviewer JSON's schema with its description;
- `errors`: the table of every error and warning code of `policy_nlp/errors.py`;
- `cli-options`: every command of `policy-nlp` with its arguments and options, read from the command line
  itself.

After retraining the shipped model, or changing what the pipeline writes, run `python docs/excerpts.py`;
`tests/test_docs.py` fails until the docs agree with the code again.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SEED = "seeds/001_29805cf611cff4c1.txt"
EXCERPT_UNIT = "三、下一步打算"  # the heading whose unit and the sentence after it are shown
EXPLAINED_UNIT = "区委主要负责人对贯彻落实郑州市创建全国法治政府建设示范市工作作出重要批示"
EXPLAINED_LABEL = "enforcement"
EXPLAIN_TOP = 3
WIDTH = 112
BLOCK = re.compile(r"(<!-- generated: ([a-z-]+) -->\n)(.*?)(<!-- end generated -->)", re.S)


# -- JSON excerpts of the shipped model's output --------------------------------------------------------------
def shorten(text: str, head: int = 16, tail: int = 10) -> str:
    if len(text) <= head + tail + 1:
        return text
    return f"{text[:head]}…{text[len(text) - tail:]}"


def _inline(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _member(key: str, value, indent: str) -> str:
    """`"key": value`, a dict too wide for one line broken into an object of its own."""
    text = f"{_inline(key)}: {_inline(value)}"
    if isinstance(value, dict) and len(indent) + len(text) > WIDTH:
        return f"{_inline(key)}: " + _object(value, indent + " " * (len(_inline(key)) + 2))
    return text


def _object(data: dict, indent: str) -> str:
    """`data` as a JSON object starting at column len(indent), its members packed onto lines of at most
    WIDTH characters: valid JSON, readable on a narrow page."""
    inner = indent + " "
    lines, line = [], ""
    members = [_member(k, v, inner) for k, v in data.items()]
    for i, member in enumerate(members):
        member += "," if i < len(members) - 1 else ""
        if line and ("\n" in member or len(inner) + len(line) + 1 + len(member.split("\n")[0]) > WIDTH):
            lines.append(line)
            line = member
        else:
            line = f"{line} {member}" if line else member
        if "\n" in member:
            lines.append(line)
            line = ""
    lines += [line] if line else []
    return "{" + ("\n" + inner).join(lines) + "}"


def _rounded(value, digits: int = 4):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


def seed_document(nlp) -> dict:
    """Seed 001 as `policy-nlp annotate seeds/001_….txt` writes it (run from the project's folder)."""
    from policy_nlp.corpus.batch import annotate_to_directory

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        [(_, document, error, _)] = list(annotate_to_directory([SEED], None, nlp=nlp))
    finally:
        os.chdir(cwd)
    if document is None:
        raise RuntimeError(error)
    return document.to_dict()


def _excerpt_units(document: dict) -> list[dict]:
    units = document["units"]
    first = next(i for i, u in enumerate(units) if u["text"] == EXCERPT_UNIT)
    return [{**u, "text": shorten(u["text"])} for u in units[first:first + 2]]


def reviewer_json(nlp) -> str:
    document = seed_document(nlp)
    members = []
    for key, value in document.items():
        if key == "units":
            units = ",\n    ".join(_object(u, "    ") for u in _excerpt_units(document))
            members.append(f'  "units": [\n    {units}\n  ]')
        else:
            members.append("  " + _member(key, shorten(value) if key == "text" else value, "  "))
    return "```json\n{\n" + ",\n".join(members) + "\n}\n```\n"


def unit_json(nlp) -> str:
    unit = _excerpt_units(seed_document(nlp))[1]
    return "```json\n" + _object(unit, "") + "\n```\n"


def explanation_json(nlp) -> str:
    import policy_nlp

    text = (ROOT / SEED).read_text(encoding="utf-8")
    document = policy_nlp.annotate(text, nlp=nlp, explain=True, explain_top=EXPLAIN_TOP).to_dict()
    unit = next(u for u in document["units"] if u["text"].startswith(EXPLAINED_UNIT))
    evidence = _rounded(unit["explanations"][EXPLAINED_LABEL])
    head = {k: v for k, v in evidence.items() if k != "features"}
    features = ",\n    ".join(_object(f, "    ") for f in evidence["features"])
    json_text = (f"{_inline(EXPLAINED_LABEL)}: " + _object(head, "  ")[:-1] + ',\n  "features": [\n    '
                 + features + "]}")
    score = unit["scores"][EXPLAINED_LABEL]
    return (f"Seed `001_…`, the unit {shorten(unit['text'], 36, 0)} ({EXPLAINED_LABEL} {score:.3f}), "
            f"top {EXPLAIN_TOP}, numbers rounded to four decimals:\n\n```json\n{json_text}\n```\n")


INDICATOR_ROWS = [("000", "dispute_resolution.admin_reconsideration_cases"),
                  ("000", "dispute_resolution.court_appearance_rate"), ("000", "enforcement.case_file_reviews"),
                  ("001", "dispute_resolution.admin_reconsideration_correction_rate"),
                  ("001", "dispute_resolution.admin_litigation_cases"),
                  ("004", "dispute_resolution.mediation_success_rate"), ("004", "enforcement.no_penalty_cases")]
PIVOT_COLUMNS = ["dispute_resolution.admin_reconsideration_cases", "dispute_resolution.court_appearance_rate",
                 "business_environment.market_entities"]


def _number(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def indicator_tables(nlp) -> str:
    """The first record of each of INDICATOR_ROWS in the seeds, and the pivot's PIVOT_COLUMNS, as the shipped
    model's pipeline finds them."""
    import policy_nlp
    from policy_nlp.corpus.indicator_table import indicator_rows, pivot

    documents = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        document = policy_nlp.annotate(path.read_text(encoding="utf-8"), nlp=nlp)
        document.id = path.name[:3]
        documents.append(document)
    rows = indicator_rows(documents)
    first = {}
    for row in rows:
        first.setdefault((row["id"], row["canonical"]), row)
    lines = ["| report | year | canonical | phrase | value | unit | change |", "|---|---:|---|---|---:|---|---|"]
    for key in INDICATOR_ROWS:
        row = first[key]
        value = _number(row["value"]) + (f" ({row['qualifier']})" if row["qualifier"] else "")
        change = (f"{row['change_direction']} {_number(row['change_value'])} {row['change_unit']} "
                  f"{row['change_basis'] or ''}".strip() if row["change_direction"] else "")
        lines.append(f"| {row['id']} | {row['year']} | {row['canonical']} | {row['phrase']} | {value} | "
                     f"{row['unit']} | {change} |")
    lines += ["", "| report | year | " + " | ".join(c.split(".")[1] for c in PIVOT_COLUMNS) + " |",
              "|---|---:|" + "---:|" * len(PIVOT_COLUMNS)]
    for row in pivot(rows):
        lines.append(f"| {row['id']} | {row['year']} | " + " | ".join(_number(row.get(c)) for c in PIVOT_COLUMNS)
                     + " |")
    return "\n".join(lines) + "\n"


# -- the schema's fields ---------------------------------------------------------------------------------
def _type(spec: dict) -> str:
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if "enum" in spec:
        return " / ".join(f"`{v}`" for v in spec["enum"])
    kind = spec.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _fields(spec: dict, path: str, required: bool, rows: list[str]) -> None:
    if path:
        rows.append(f"| `{path}` | {_type(spec)} | {'yes' if required else ''} | {_cell(spec.get('description', ''))} |")
    for name, sub in spec.get("properties", {}).items():
        _fields(sub, f"{path}.{name}" if path else name, name in spec.get("required", []), rows)
    if isinstance(spec.get("items"), dict):
        _fields(spec["items"], f"{path}[]", False, rows)
    if isinstance(spec.get("additionalProperties"), dict):
        _fields(spec["additionalProperties"], f"{path}.<label>", False, rows)


def schema_fields(_nlp=None) -> str:
    """Every field of the reviewer JSON's schema (a document, not an error record), with its description."""
    from policy_nlp import load_schema

    schema = load_schema()
    document = schema["oneOf"][0] if "oneOf" in schema else schema
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    _fields(document, "", False, rows)
    return "\n".join(rows) + "\n"


# -- the error catalogue --------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def errors_table(_nlp=None) -> str:
    from policy_nlp.errors import CATALOGUE

    rows = ["| code | message | fix |", "|---|---|---|"]
    rows += [f"| {code} | {_cell(spec.message)} | {_cell(spec.fix)} |" for code, spec in sorted(CATALOGUE.items())]
    return "\n".join(rows) + "\n"


# -- the command line ----------------------------------------------------------------------------------------
def _option_names(param) -> str:
    names = [*param.opts, *param.secondary_opts]
    return " / ".join(f"`{n}`" for n in names) if param.param_type_name == "option" else f"`{param.name.upper()}`"


def _default(param) -> str:
    if param.required:
        return "required"
    default = param.default
    if param.param_type_name != "option" or default in (None, (), []) or callable(default):
        return ""
    if getattr(param, "is_flag", False):
        if param.secondary_opts:
            return f"`{param.opts[0] if default else param.secondary_opts[0]}`"
        return "on" if default else "off"
    return f"`{default}`"


def cli_options(_nlp=None) -> str:
    import typer

    from policy_nlp.cli import app

    group = typer.main.get_command(app)
    parts = []
    for name, command in group.commands.items():
        rows = [f"### `policy-nlp {name}`", "", _cell((command.help or "").strip().split("\n\n")[0]), "",
                "| argument or option | default | what it does |", "|---|---|---|"]
        for param in command.params:
            if param.name == "help":
                continue
            rows.append(f"| {_option_names(param)} | {_default(param)} | {_cell(getattr(param, 'help', '') or '')} |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


BLOCKS: dict[str, Callable] = {"reviewer-json": reviewer_json, "unit-json": unit_json,
                               "explanation-json": explanation_json, "indicator-tables": indicator_tables, "schema-fields": schema_fields, "errors": errors_table,
                               "cli-options": cli_options}
NEEDS_MODEL = {"reviewer-json", "unit-json", "explanation-json", "indicator-tables"}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def generated_blocks(path: Path) -> list[tuple[str, str]]:
    """(name, current text) of every generated block in `path`."""
    return [(m.group(2), m.group(3)) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


def regenerate(path: Path, nlp, cache: dict[str, str]) -> tuple[str, list[str]]:
    """The text of `path` with every block regenerated, and the names of the blocks that changed."""
    changed = []

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in cache:
            cache[name] = BLOCKS[name](nlp)
        if cache[name] != match.group(3):
            changed.append(name)
        return match.group(1) + cache[name] + match.group(4)

    return BLOCK.sub(fill, path.read_text(encoding="utf-8")), changed


def main(argv: list[str]) -> int:
    import policy_nlp

    nlp = policy_nlp.load(segmenter="char")
    cache: dict[str, str] = {}
    stale = []
    for path in doc_files():
        text, changed = regenerate(path, nlp, cache)
        if changed and "--check" not in argv:
            path.write_text(text, encoding="utf-8")
        stale += [f"{path.relative_to(ROOT)}: {name}" for name in changed]
    verb = "out of date" if "--check" in argv else "rewritten"
    print("\n".join(f"{line} ({verb})" for line in stale) or "every generated block is up to date")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
