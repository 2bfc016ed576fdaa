"""The unit table in the Doc: attrs written once by the structure component, read by the getters, the
theme model and `AnnotatedDocument`, through the span keys the pipeline was configured with."""
from __future__ import annotations


import numpy
import spacy

import policy_nlp
from policy_nlp.rules import default_rules
from policy_nlp.components.themes import DocScores
from policy_nlp.components.unit_table import section_indices, span_key, unit_index, units_of_doc
from policy_nlp.components.units import segment, unit_table
from policy_nlp.corpus.document import AnnotatedDocument
from policy_nlp.pipeline import STRUCTURE, THEMES, create_pipeline

from conftest import SEED_NAMES, seed_text


def _structured(text):
    nlp = create_pipeline("char")
    return nlp.get_pipe(STRUCTURE)(nlp.make_doc(text))


def test_the_structure_component_writes_the_unit_table_into_the_group_attrs(seeds):
    for text in seeds.values():
        doc = _structured(text)
        group = doc.spans["units"]
        table = segment(doc._.norm_text, default_rules())
        assert [(s.start_char, s.end_char, s.label_) for s in group] == [(u.start, u.end, u.kind) for u in table]
        assert group.attrs["levels"] == [u.level for u in table]
        assert group.attrs["lines"] == [u.line for u in table]
        assert group.attrs["parents"] == [u.parent for u in table]
        assert units_of_doc(doc) == table
        # the table of the same spans given from outside (hand-labelled units) is the same table
        assert unit_table(doc._.norm_text, [(u.start, u.end, u.kind) for u in table], default_rules()) == table


def test_span_getters_read_the_table(tiny_nlp):
    text = seed_text(SEED_NAMES[1])
    doc = tiny_nlp(text)
    annotated = AnnotatedDocument.from_doc(doc, policy_nlp.model_info(tiny_nlp), text=text)
    group = doc.spans["units"]
    assert len(group) == len(annotated.units)
    assert any(unit.section for unit in annotated.units)
    for i, (span, unit) in enumerate(zip(group, annotated.units)):
        assert unit_index(span) == i
        assert span._.section == unit.section
        assert span._.section == [group[j].text for j in section_indices(doc, i)]
        assert span._.scores == unit.scores
        assert span._.themes == unit.labels
    not_a_unit = doc[group[1].start:group[1].end + 1]
    assert not_a_unit._.section == [] and not_a_unit._.scores == {} and not_a_unit._.themes == []


def test_the_getters_use_one_index_per_doc_not_a_scan():
    from policy_nlp.components import unit_table

    doc = _structured("\n".join([seed_text(SEED_NAMES[4])] * 4))
    group = doc.spans["units"]
    group[0]._.section  # noqa: B018  (builds the index)
    index = unit_table._INDEX[doc][1]
    assert len(index) == len(group)
    paths = [span._.section for span in group]
    assert unit_table._INDEX[doc][1] is index  # every later call is a dictionary lookup
    assert paths[-1] and all(isinstance(p, list) for p in paths)
    doc.spans["units"] = list(group)[:-1]  # a replaced group gets a fresh index
    doc.spans["units"][0]._.section  # noqa: B018
    assert len(unit_table._INDEX[doc][1]) == len(group) - 1


def test_non_default_span_keys_end_to_end(tiny_model):
    texts = [seed_text(name) for name in SEED_NAMES[1:4]]
    default = policy_nlp.load(tiny_model, segmenter="char")
    components = {STRUCTURE: {"units_key": "report_units"},
                  THEMES: {"units_key": "report_units", "themes_key": "topics"}}
    for name in default.pipe_names:  # any later component reading the units follows them
        if name not in components and "units_key" in default.config["components"][name]:
            components[name] = {"units_key": "report_units"}
    custom = spacy.load(tiny_model, config={"nlp": {"tokenizer": {"segmenter": "char"}}, "components": components})
    assert custom.get_pipe(STRUCTURE).units_key == "report_units"
    assert custom.get_pipe(THEMES).themes_key == "topics"
    for text in texts:
        a = policy_nlp.annotate(text, nlp=default)
        b = policy_nlp.annotate(text, nlp=custom)
        assert [(u.start, u.end, u.kind, u.section, u.labels, u.scores) for u in b.units] == \
            [(u.start, u.end, u.kind, u.section, u.labels, u.scores) for u in a.units]
        assert any(u.labels for u in b.units)
        doc = custom(text)
        assert "report_units" in doc.spans and "topics" in doc.spans
        assert "units" not in doc.spans and "themes" not in doc.spans
        assert span_key(doc, "units") == "report_units" and span_key(doc, "themes") == "topics"
        group = doc.spans["report_units"]
        assert group.attrs["labels"] == list(custom.get_pipe(THEMES).labels)
        assert [s._.themes for s in group] == [u.labels for u in b.units]
        assert [s._.section for s in group] == [u.section for u in b.units]
    # the batch path (nlp.pipe, several documents per predict call) reads the same keys
    def without_model_hash(docs):  # the span keys are config, so the fingerprint differs; nothing else may
        out = [d.to_dict() for d in docs]
        for d in out:
            d["model"].pop("sha256")
        return out

    assert without_model_hash(policy_nlp.annotate(texts, nlp=custom)) == \
        without_model_hash(policy_nlp.annotate(texts, nlp=default))


def test_every_unit_of_a_part_the_structure_found_carries_the_parts_label(char_nlp):
    text = "一、2024年工作回顾\n全年办理复议案件12件。\n开展执法检查3次。\n二、2025年工作安排\n深化改革。"
    doc = char_nlp.get_pipe(STRUCTURE)(char_nlp.make_doc(text))
    group = doc.spans["units"]
    assert [s.text for s, p in zip(group, group.attrs["parts"]) if p == "plans"] == ["二、2025年工作安排", "深化改革。"]
    group.attrs["parts"] = ["", "problems", "", "plans", "plans"]
    themes = char_nlp.get_pipe(THEMES)
    content = list(range(len(group)))
    says_no = numpy.zeros((len(group), len(themes.model.labels)))  # the model says no
    themes.set_annotations([doc], [DocScores(content, None, says_no, {}, slice(0, len(group)), list(group))])
    assert [s._.themes for s in group] == [[], ["shortcomings"], [], ["plans"], ["plans"]]


def test_one_label_tuple_and_one_line_pattern_for_the_package():
    from policy_nlp.components import tokenizer, unit_table, units
    from policy_nlp.learn import invariance, labelled_data

    assert policy_nlp.LABELS is labelled_data.DEFAULT_LABELS is unit_table.LABELS
    from policy_nlp.model import estimator

    assert invariance.PART_LABELS is estimator.PART_LABELS
    assert estimator.PART_LABELS == ("shortcomings", "plans") == tuple(v for v in unit_table.PART_LABEL.values() if v)
    assert tokenizer.LINE_RE is units.LINE_RE
    assert [m.group() for m in units.LINE_RE.finditer("一\r\n二\u2028三\x85四\x0b五\x0c六")] == list("一二三四五六")


def test_part_label_cells_are_the_units_in_part_of_each_label():
    import random
    from types import SimpleNamespace

    import numpy as np

    from policy_nlp.components.unit_table import LABELS, PART_LABEL, part_label_cells, units_in_part

    rng = random.Random(3)
    kinds = ["", "problems", "plans", "rectification", "other"]
    groups = [SimpleNamespace(attrs={}), SimpleNamespace(attrs={"parts": []})]
    groups += [SimpleNamespace(attrs={"parts": [rng.choice(kinds) for _ in range(rng.randint(0, 30))]})
               for _ in range(200)]
    for labels in (list(LABELS), ["plans", "enforcement"], []):
        wants = []
        for group in groups:
            want = np.zeros((len(group.attrs.get("parts") or ()), len(labels)), dtype=bool)
            for j, label in enumerate(labels):
                want[units_in_part(group, label), j] = True
            got = np.zeros_like(want)
            got[part_label_cells([group], labels, [len(want)])] = True
            assert (got == want).all() and set(PART_LABEL) < set(kinds)
            wants.append(want)
        # stacked, one group after another; a group without parts (or fewer than its units) has none in a part
        sizes = [len(w) + rng.choice([0, 0, 3]) for w in wants]
        got = np.zeros((sum(sizes), len(labels)), dtype=bool)
        got[part_label_cells(groups, labels, sizes)] = True
        want = np.concatenate([np.pad(w, ((0, n - len(w)), (0, 0))) for w, n in zip(wants, sizes)])
        assert (got == want).all()


def test_unit_spans_and_columns_read_each_unit_once_and_give_the_table(seeds):
    from policy_nlp.components.unit_table import unit_spans_and_columns
    from policy_nlp.model.features import UnitColumns

    for text in [*seeds.values(), "", "  \n", "国", "𠀀一、工作\n𠮷。"]:
        doc = _structured(text)
        group = doc.spans["units"]
        spans, columns = unit_spans_and_columns(doc)
        assert [(s.start, s.end, s.label_) for s in spans] == [(s.start, s.end, s.label_) for s in group]
        table = segment(doc._.norm_text, default_rules())
        assert columns == UnitColumns.of(table) and units_of_doc(doc) == table
    # attrs lists shorter than the group (written by hand): the table is worked out from the spans; longer
    # ones: the group's part of them
    doc = _structured(seed_text(SEED_NAMES[1]))
    group = doc.spans["units"]
    table = units_of_doc(doc)
    parts = group.attrs["parts"]
    group.attrs["parts"] = parts[:-1]
    assert units_of_doc(doc) == table
    group.attrs["parts"], group.attrs["lines"] = parts + ["plans"], group.attrs["lines"] + [99]
    assert units_of_doc(doc) == table and unit_spans_and_columns(doc)[1] == UnitColumns.of(table)
