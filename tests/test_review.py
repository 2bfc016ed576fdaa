"""The review loop: export → review in Label Studio (a real server) or doccano → import/train.

The Label Studio test uses `label-studio` from its own virtual environment (installed by `.ci/run` under
`$XDG_CACHE_HOME/policy_nlp-test/ls-venv`, or the executable named by POLICY_NLP_LABEL_STUDIO), starts it
on a free 127.0.0.1 port with a temporary data directory and talks to its HTTP API. Where no label-studio is
installed it is skipped, saying how to install it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import SEED_NAMES, SEEDS, seed_records, write_jsonl
from policy_nlp.corpus.document import AnnotatedDocument
from policy_nlp.corpus.review import export_documents, import_reviews
from policy_nlp.errors import DataError


@pytest.fixture(scope="module")
def reviewer_dir(tmp_path_factory, tiny_nlp):
    """Reviewer JSON of two seeds, annotated by the tiny model."""
    from policy_nlp.corpus.batch import annotate_to_directory

    out = tmp_path_factory.mktemp("annotated")
    written = [t for _, _, _, t in annotate_to_directory([SEEDS / SEED_NAMES[0], SEEDS / SEED_NAMES[1]], out,
                                                           nlp=tiny_nlp)]
    assert all(written)
    return out


def _doc(path: Path) -> AnnotatedDocument:
    return AnnotatedDocument.from_json(path.read_text(encoding="utf-8"))


def test_export_label_studio_writes_tasks_and_config(tmp_path, reviewer_dir):
    summary = export_documents([reviewer_dir], tmp_path / "tasks.json", "label-studio")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert summary["units"] == len(tasks) and summary["documents"] == 2
    assert Path(summary["config"]).read_text(encoding="utf-8").startswith("<View>")
    assert {t["data"]["doc"] for t in tasks} == {SEED_NAMES[0], SEED_NAMES[1]}
    assert {t["predictions"][0]["model_version"] for t in tasks} == {"zh_reports_custom " + summary["models"][0].split()[1]}
    with pytest.raises(DataError) as err:  # never over a file reviewers may have started from
        export_documents([reviewer_dir], tmp_path / "tasks.json", "label-studio")
    assert err.value.code == "E139"
    with pytest.raises(DataError) as err:
        export_documents([reviewer_dir], tmp_path / "x.json", "brat")
    assert err.value.code == "E136"


def test_import_doccano_export_into_reviewer_json_keeps_earlier_reviews(tmp_path, reviewer_dir):
    export_documents([reviewer_dir], tmp_path / "units.jsonl", "doccano")
    records = [json.loads(x) for x in (tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    first = [r for r in records if r["doc"] == SEED_NAMES[0]]
    exported = [{"id": 1, **first[2], "label": ["plans"]}, {"id": 2, **first[5], "label": []}]
    (tmp_path / "doccano_export.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exported), encoding="utf-8")
    out = tmp_path / "reviewed"
    summary = import_reviews([tmp_path / "doccano_export.jsonl"], out, documents=[reviewer_dir])
    assert [row["reviewed"] for row in summary["files"]] == [2]
    doc = _doc(out / f"{Path(SEED_NAMES[0]).stem}.json")
    base = _doc(reviewer_dir / f"{Path(SEED_NAMES[0]).stem}.json")
    assert len(doc.units) == len(base.units) and doc.model == base.model
    assert [(u.start, u.labels) for u in doc.units if u.reviewed] == [(first[2]["start"], ["plans"]),
                                                                      (first[5]["start"], [])]
    # a second export (another reviewer, another unit) adds to the file: the first reviews stay
    (tmp_path / "second.jsonl").write_text(json.dumps({"id": 3, **first[7], "label": ["enforcement"]},
                                                      ensure_ascii=False) + "\n", encoding="utf-8")
    import_reviews([tmp_path / "second.jsonl"], out, documents=[reviewer_dir])
    doc = _doc(out / f"{Path(SEED_NAMES[0]).stem}.json")
    assert [u.start for u in doc.units if u.reviewed] == [first[2]["start"], first[5]["start"], first[7]["start"]]
    # the report is found by its SHA-256 even without --documents (the packaged seeds), units only
    solo = import_reviews([tmp_path / "second.jsonl"], tmp_path / "solo")
    only = _doc(Path(solo["files"][0]["path"]))
    assert [(u.start, u.labels, u.reviewed) for u in only.units] == [(first[7]["start"], ["enforcement"], True)]


def test_import_refuses_unknown_reports_and_empty_exports(tmp_path, reviewer_dir):
    export_documents([reviewer_dir], tmp_path / "units.jsonl", "doccano")
    rec = json.loads((tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()[0])
    rec.update(doc="elsewhere.txt", doc_sha256="0" * 64)
    (tmp_path / "x.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_reviews([tmp_path / "x.jsonl"], tmp_path / "out")
    assert err.value.code == "E135" and "elsewhere.txt" in str(err.value)
    (tmp_path / "none.json").write_text("[]", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_reviews([tmp_path / "none.json"], tmp_path / "out")
    assert err.value.code == "E138"


def test_import_merges_into_the_file_annotate_wrote_whatever_its_name(tmp_path, tiny_nlp):
    """A report named with full-width brackets: `annotate -o DIR` writes a file-safe name, the tasks carry the
    report's own name; the import finds the file by its text and merges into it instead of writing a second."""
    from policy_nlp.corpus.batch import annotate_to_directory

    reports, annotated = tmp_path / "reports", tmp_path / "annotated"
    reports.mkdir()
    name = "2017年政府工作报告（在区人民代表大会上）_2017.txt"
    (reports / name).write_text((SEEDS / SEED_NAMES[1]).read_text(encoding="utf-8"), encoding="utf-8")
    (written,) = [t for _, _, _, t in annotate_to_directory([reports], annotated, nlp=tiny_nlp)]
    export_documents([annotated], tmp_path / "units.jsonl", "doccano")
    record = json.loads((tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()[3])
    assert record["doc"] == name and written.name != f"{Path(name).stem}.json"
    (tmp_path / "export.jsonl").write_text(json.dumps({"id": 1, **record, "label": ["plans"]}, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    summary = import_reviews([tmp_path / "export.jsonl"], annotated, documents=[annotated])
    assert [Path(row["path"]) for row in summary["files"]] == [written] and list(annotated.glob("*.json")) == [written]
    assert [(u.start, u.labels) for u in _doc(written).units if u.reviewed] == [(record["start"], ["plans"])]


def test_an_import_reviewing_a_whole_report_at_once_is_refused_unless_asked_for(tmp_path, reviewer_dir):
    export_documents([reviewer_dir], tmp_path / "units.jsonl", "doccano")
    records = [json.loads(x) for x in (tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    whole = [{"id": k, **r} for k, r in enumerate(records) if r["doc"] == SEED_NAMES[0]]
    (tmp_path / "edited.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in whole),
                                           encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_reviews([tmp_path / "edited.jsonl"], tmp_path / "out", documents=[reviewer_dir])
    assert err.value.code == "E122" and not (tmp_path / "out").exists()
    summary = import_reviews([tmp_path / "edited.jsonl"], tmp_path / "out", documents=[reviewer_dir],
                             whole_reports=True)
    assert summary["reviewed"] == len(whole)


# -- a real Label Studio server ------------------------------------------------------------------------------
LS_USER, LS_PASSWORD, LS_TOKEN = "reviewer@example.org", "policy-nlp-test-pass", "policynlptesttoken0123456789"


def _ls_venv() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
    return base / "policy_nlp-test" / "ls-venv"


def _label_studio_bin() -> Path | None:
    """The label-studio executable: POLICY_NLP_LABEL_STUDIO, or the venv `.ci/run` installs it into. The test
    never installs it itself (tests write only into temporary directories)."""
    named = os.environ.get("POLICY_NLP_LABEL_STUDIO")
    if named:
        return Path(named) if Path(named).exists() else None
    exe = _ls_venv() / "bin" / "label-studio"
    return exe if exe.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabelStudio:
    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, body=None, timeout: float = 120):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode("utf-8"),
                                     headers={"Authorization": f"Token {LS_TOKEN}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:500]!r}") from None
        return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    exe = _label_studio_bin()
    if exe is None:
        pytest.skip(f"no label-studio found: install it into its own environment first (python3 -m venv "
                    f"{_ls_venv()} && {_ls_venv()}/bin/pip install label-studio, as .ci/run does) or name its "
                    f"executable in POLICY_NLP_LABEL_STUDIO")
    data_dir = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
           "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true"}
    log = open(data_dir / "server.log", "w")
    proc = subprocess.Popen([str(exe), "start", "--internal-host", "127.0.0.1", "-p", str(port), "--no-browser",
                             "--data-dir", str(data_dir), "--username", LS_USER, "--password", LS_PASSWORD,
                             "--user-token", LS_TOKEN, "--enable-legacy-api-token"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as resp:
                    if json.loads(resp.read()).get("status") == "UP":
                        break
            except (OSError, ValueError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError("Label Studio did not start:\n"
                                     + (data_dir / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(1)
        yield LabelStudio(url)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_label_studio_round_trip_teaches_the_model_a_reviewer_change(tmp_path, label_studio, tiny_nlp, reviewer_dir):
    import policy_nlp
    from policy_nlp.learn.training import train

    # 1. tasks and config from the tiny model's reviewer JSON of seed 0 (one of its training reports)
    name = Path(SEED_NAMES[0]).stem
    summary = export_documents([reviewer_dir / f"{name}.json"], tmp_path / "tasks.json", "label-studio")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    config = Path(summary["config"]).read_text(encoding="utf-8")
    # 2. a project with our labeling config; our tasks imported through the API, predictions included
    project = label_studio.call("POST", "/api/projects", {"title": "policy_nlp review", "label_config": config})
    imported = label_studio.call("POST", f"/api/projects/{project['id']}/import", tasks)
    assert imported["task_count"] == len(tasks) and imported["prediction_count"] == len(tasks)
    listed = label_studio.call("GET", f"/api/tasks?project={project['id']}&page_size={len(tasks) + 10}")["tasks"]
    assert len(listed) == len(tasks)
    # 3. the reviewer adds the label the model was nearest to giving a sentence, and confirms another as is
    def nearest(t):
        d = t["data"]
        return max((s, label) for label, s in d["scores"].items() if label not in d["predicted"])
    candidates = [t for t in listed if t["data"]["kind"] == "sentence"]
    changed = max(candidates, key=nearest)
    label = nearest(changed)[1]
    confirmed = next(t for t in candidates if t is not changed and t["data"]["predicted"])
    for task, labels in ((changed, changed["data"]["predicted"] + [label]), (confirmed, confirmed["data"]["predicted"])):
        label_studio.call("POST", f"/api/tasks/{task['id']}/annotations",
                          {"result": [{"from_name": "themes", "to_name": "text", "type": "choices",
                                       "value": {"choices": labels}}]})
    # 4. Label Studio's JSON export
    export = label_studio.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    export_path = tmp_path / "label_studio_export.json"
    export_path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    assert sum(1 for t in export if t.get("annotations")) == 2
    # 5. import writes reviewer JSON with the two reviewed units
    out = import_reviews([export_path], tmp_path / "reviewed", documents=[reviewer_dir])
    doc = _doc(Path(out["files"][0]["path"]))
    assert {(u.start, tuple(u.labels)) for u in doc.units if u.reviewed} == {
        (changed["data"]["start"], tuple(changed["data"]["predicted"] + [label])),
        (confirmed["data"]["start"], tuple(confirmed["data"]["predicted"]))}
    # 6. train on the tiny model's data with the export on top; the new model learned the change
    data = write_jsonl(tmp_path / "three.jsonl", seed_records(SEED_NAMES[0], SEED_NAMES[2], SEED_NAMES[4]))
    meta = train([data, export_path], tmp_path / "model", seeds_dir=SEEDS, cv=False, name="reviewed", version="0.2.0")
    assert meta["data_sources"][str(export_path)]["reviewed_units"] == 2
    assert meta["data_sources"][str(export_path)]["format"] == "label-studio"
    text = (SEEDS / SEED_NAMES[0]).read_text(encoding="utf-8")
    span = (changed["data"]["start"], changed["data"]["end"])
    old = next(u for u in policy_nlp.annotate(text, nlp=tiny_nlp).units if (u.start, u.end) == span)
    new_nlp = policy_nlp.load(tmp_path / "model", segmenter="char")
    new_doc = policy_nlp.annotate(text, nlp=new_nlp)
    new = next(u for u in new_doc.units if (u.start, u.end) == span)
    assert label not in old.labels and label in new.labels
    assert new.scores[label] > old.scores[label]
    assert new_doc.model["name"] == "zh_reviewed" and new_doc.model["version"] == "0.2.0"


@pytest.mark.slow
def test_suggested_blind_tasks_come_back_from_label_studio_with_the_reviewers_labels(tmp_path, label_studio, char_nlp):
    """suggest --blind → Label Studio (the one labelling config) → annotate → export → training and evaluation
    read exactly the labels the reviewer chose (they were once read under another control name: lost)."""
    from policy_nlp.corpus.review_formats import FROM_NAME, label_studio_config
    from policy_nlp.corpus.review_formats import write_label_studio
    from policy_nlp.learn.evaluation import evaluate
    from policy_nlp.learn.labelled_data import read_corpus
    from policy_nlp.learn.suggest import suggest
    from policy_nlp.pipeline import shipped_model_path

    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / SEED_NAMES[1]).write_text((SEEDS / SEED_NAMES[1]).read_text(encoding="utf-8"), encoding="utf-8")
    write_label_studio(suggest(char_nlp, [pool], 4, skip_labelled=False, blind=True), tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    labels = list(char_nlp.get_pipe("policy_nlp_themes").labels)
    config = label_studio_config(labels)
    project = label_studio.call("POST", "/api/projects", {"title": "suggested", "label_config": config})
    imported = label_studio.call("POST", f"/api/projects/{project['id']}/import", tasks)
    assert imported["task_count"] == 4 and not imported.get("prediction_count")
    chosen = {}
    for k, task in enumerate(label_studio.call("GET", f"/api/tasks?project={project['id']}&page_size=20")["tasks"]):
        picked = sorted({labels[k % len(labels)], labels[(k + 2) % len(labels)]})
        label_studio.call("POST", f"/api/tasks/{task['id']}/annotations",
                          {"result": [{"from_name": FROM_NAME, "to_name": "text", "type": "choices",
                                       "value": {"choices": picked}}]})
        chosen[(task["data"]["start"], task["data"]["end"])] = picked
    export_path = tmp_path / "export.json"
    export = label_studio.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    export_path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    corpus = read_corpus([export_path], pool)  # what `train --data` reads
    assert {(u.start, u.end): sorted(u.labels) for u in corpus.units} == chosen
    metrics = evaluate(shipped_model_path(), [export_path], pool)  # `evaluate --data`
    assert {label: m["support"] for label, m in metrics["per_label"].items()} == {
        label: sum(label in c for c in chosen.values()) for label in labels}


def _same_named_reports(folder: Path) -> list[dict]:
    """Reviewer JSON of two reports both named `r.txt` (of folders 2023 and 2024) in `folder`, and a doccano
    record reviewing the first unit of each."""
    from policy_nlp.corpus.review_formats import text_sha256

    folder.mkdir()
    records = []
    for year, text in (("2023", "加强行政执法。推进调解。"), ("2024", "优化营商环境。完善复议。")):
        units = [{"start": 0, "end": 7, "text": text[:7], "kind": "sentence", "section": [], "labels": [],
                  "scores": {"plans": 0.1}},
                 {"start": 7, "end": 12, "text": text[7:], "kind": "sentence", "section": [], "labels": [],
                  "scores": {"plans": 0.1}}]
        doc = {"schema": "policy_nlp.document/v1", "id": f"{year}/r.txt", "text": text,
               "model": {"labels": ["plans"], "thresholds": {"plans": 0.5}}, "units": units}
        (folder / f"r_{year}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        records.append({"id": year, "doc": "r.txt", "doc_sha256": text_sha256(text), "start": 0, "end": 7,
                        "text": text[:7], "kind": "sentence", "label": ["plans"]})
    return records


def test_import_tells_same_named_reports_apart_by_their_sha256(tmp_path):
    folder = tmp_path / "annotated"
    records = _same_named_reports(folder)
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(DataError) as err:  # both would be written to out/r.json: refused, nothing written
        import_reviews([export], tmp_path / "out", documents=[folder])
    assert err.value.code == "E139" and "r.json" in str(err.value) and not (tmp_path / "out").exists()
    summary = import_reviews([export], folder, documents=[folder])  # into the files they came from
    assert sorted(Path(row["path"]).name for row in summary["files"]) == ["r_2023.json", "r_2024.json"]
    for year in ("2023", "2024"):
        doc = _doc(folder / f"r_{year}.json")
        assert [(u.start, u.labels) for u in doc.units if u.reviewed] == [(0, ["plans"])]


def test_import_refuses_two_reports_of_the_seeds_that_would_write_one_file(tmp_path):
    seeds = tmp_path / "seeds"
    records = []
    for sub, text in (("sub1", "加强行政执法。"), ("sub2", "优化营商环境。")):
        (seeds / sub).mkdir(parents=True)
        (seeds / sub / "a.txt").write_text(text, encoding="utf-8")
        records.append({"id": sub, "doc": f"{sub}/a.txt", "start": 0, "end": 7, "text": text, "kind": "sentence",
                        "label": ["plans"]})
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_reviews([export], tmp_path / "out", seeds_dir=seeds)
    assert err.value.code == "E139" and "sub1/a.txt" in str(err.value) and "sub2/a.txt" in str(err.value)
    assert not (tmp_path / "out").exists()
