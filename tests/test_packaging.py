"""The built wheel carries what `train()` and `cross_validate()` need by default: labelled units, seed
reports and the labelled work reports, the rules, the schema and the shipped model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, cwd=out)
    return next(out.glob("policy_nlp-*.whl"))


def test_the_wheel_holds_the_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("policy_nlp/data/labelled/data/seed_units.jsonl",
                 "policy_nlp/data/labelled/data/work_report_units.jsonl",
                 "policy_nlp/data/labelled/corpus/qinghai_2026_work_report.txt",
                 "policy_nlp/data/seeds/001_29805cf611cff4c1.txt",
                 "policy_nlp/rules/report_rules_v2.json", "policy_nlp/rules/report_rules_v3.json",
                 "policy_nlp/rules/report_rules_v4.json",
                 "policy_nlp/rules/indicators_v1.json", "policy_nlp/rules/indicators_v2.json",
                 "policy_nlp/corpus/schema/document.v1.json",
                 "policy_nlp/models/policy_nlp_zh_reports/policy_nlp_themes/model.pkl"):
        assert name in names, name


@pytest.mark.slow
def test_train_and_cross_validate_defaults_work_from_an_installed_wheel(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    script = (
        "import json, policy_nlp\n"
        "assert policy_nlp.__file__.startswith(%r), policy_nlp.__file__\n"
        "meta = policy_nlp.train(None, 'model', cv=False)\n"
        "cv = policy_nlp.cross_validate()\n"
        "print(json.dumps({'docs': meta['documents'], 'units': meta['units'], 'cv_docs': cv['documents'],"
        " 'macro': cv['macro_f1']}))\n" % str(target)
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    suggested = [json.loads(line) for line in
                 (ROOT / "training" / "data" / "suggested_units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(got["docs"]) == 7 + len({u["doc"] for u in suggested}) and got["units"] == 940 + len(suggested)
    assert len(got["cv_docs"]) == 7 and set(got["cv_docs"]) < set(got["docs"])  # the fully labelled reports
    assert got["macro"] > 0.8
