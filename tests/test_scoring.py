"""model.scoring: the shared-block feature matrices and probabilities equal the estimator's own predict_proba."""
import numpy as np

from policy_nlp.model.scoring import feature_matrices, probabilities

from conftest import SEED_NAMES, seed_text


def _contexts(nlp, text):
    themes = nlp.get_pipe("policy_nlp_themes")
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name == "policy_nlp_themes":
            break
        doc = proc(doc)
    return themes.model, themes.predict([doc])[0].contexts


def test_probabilities_equal_predict_proba_of_a_calibrated_model(tiny_nlp):
    model, ctx = _contexts(tiny_nlp, seed_text(SEED_NAMES[1]))
    assert model.calibrators_ and len(ctx) > 50
    got = probabilities(model, feature_matrices(model, ctx), len(ctx))
    np.testing.assert_array_equal(got, model.predict_proba(ctx))


def test_feature_matrices_equal_each_groups_column_transformer(char_nlp):
    import scipy.sparse as sp

    model, ctx = _contexts(char_nlp, seed_text(SEED_NAMES[2]))
    for group, got in feature_matrices(model, ctx).items():
        want = sp.csr_matrix(model.pipelines_[group].named_steps["features"].transform(ctx))
        assert got.shape == want.shape and got.dtype == want.dtype and got.has_sorted_indices
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        assert got.data.tobytes() == want.data.tobytes()


def test_probabilities_equal_predict_proba_of_the_shipped_model(char_nlp):
    model, ctx = _contexts(char_nlp, seed_text(SEED_NAMES[3]))
    got = probabilities(model, feature_matrices(model, ctx), len(ctx))
    np.testing.assert_array_equal(got, model.predict_proba(ctx))


def _walked_sections(norm_text, units, i):
    """The section columns of unit `i` by walking its parents, as their definition reads."""
    path, j = [], units[i].parent
    while j >= 0:
        path.append(norm_text[units[j].start:units[j].end])
        j = units[j].parent
    path.reverse()
    return (path[-1] if path else "", path[0] if path else "", "".join(path))


def test_context_sections_equal_walking_the_parents(seeds):
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment
    from policy_nlp.model.features import COL, build_contexts
    from policy_nlp.rules import default_rules

    from conftest import ROOT

    rules = default_rules()
    paths = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))[:5]
    reports = [p.read_text(encoding="utf-8") for p in paths]
    nested = 0
    for text in [*seeds.values(), *reports]:
        norm = normalize(text).text
        units = segment(norm, rules)
        ctx = build_contexts(norm, units, rules)
        nested += sum(u.parent >= 0 and units[u.parent].parent >= 0 for u in units)
        columns = [COL["section"], COL["section_outer"], COL["section_path"]]
        assert [tuple(row) for row in ctx[:, columns]] == [_walked_sections(norm, units, i) for i in range(len(units))]
    assert nested > 100


def test_dense_csr_equals_scipys_conversion():
    import numpy as np
    import scipy.sparse as sp

    from policy_nlp.model.scoring import dense_csr

    rng = np.random.default_rng(0)
    blocks = [np.zeros((0, 5), np.float32), np.zeros((3, 0), np.float32), np.zeros((4, 4)), np.ones((1, 1)),
              np.array([[np.nan, 0.0, -0.0, 1.0, np.inf]]),
              (rng.random((200, 24)) * (rng.random((200, 24)) > 0.5)).astype(np.float32)]
    for block in blocks:
        want, got = sp.csr_matrix(block), dense_csr(block)
        assert got.shape == want.shape
        for part in ("data", "indices", "indptr"):
            assert getattr(got, part).dtype == getattr(want, part).dtype
            assert np.array_equal(getattr(got, part), getattr(want, part), equal_nan=True)


def test_context_rows_are_one_object_array_of_the_columns_even_without_units():
    from policy_nlp.components.units import segment
    from policy_nlp.model.features import CONTEXT_COLUMNS, build_contexts
    from policy_nlp.rules import default_rules

    rules = default_rules()
    for text in ["", "国", "一、工作回顾\n𠀀全年办理复议案件12件。"]:
        ctx = build_contexts(text, segment(text, rules), rules)
        assert ctx.dtype == object and ctx.shape == (len(segment(text, rules)), len(CONTEXT_COLUMNS))
        assert all(isinstance(row[0], str) and isinstance(row[7], float) for row in ctx)


def test_scoring_leaves_out_scikit_learns_input_checks_only_while_it_runs(char_nlp, monkeypatch):
    """The finiteness scan and the argument checks are off inside `feature_matrices` and `probabilities`
    (the numbers are `predict_proba`'s: the tests above) and back as they were after."""
    import sklearn

    from policy_nlp.model import calibration, scoring

    seen = []
    real = calibration.calibrate
    monkeypatch.setattr(calibration, "calibrate", lambda *a: seen.append(sklearn.get_config()) or real(*a))
    model, ctx = _contexts(char_nlp, seed_text(SEED_NAMES[0]))
    before = sklearn.get_config()
    probabilities(model, feature_matrices(model, ctx), len(ctx))
    assert seen and seen[0]["assume_finite"] and seen[0]["skip_parameter_validation"]
    assert sklearn.get_config() == before and not before["assume_finite"]
    with scoring.checks_left_out():
        assert sklearn.get_config()["assume_finite"]
