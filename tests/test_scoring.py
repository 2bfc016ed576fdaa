"""model.scoring: the shared-block feature matrices and probabilities equal the estimator's own predict_proba."""
import numpy as np
import pytest

from policy_nlp.model.scoring import feature_matrices, probabilities

from conftest import SEED_NAMES, seed_text


def _contexts(nlp, text):
    themes = nlp.get_pipe("policy_nlp_themes")
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name == "policy_nlp_themes":
            break
        doc = proc(doc)
    _, _, ctx = themes._contexts(doc)
    return themes.model, ctx


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


def _work_report_contexts(nlp, n=20):
    from conftest import ROOT

    paths = sorted((ROOT / "training/corpus/work_reports").glob("*.txt"))[:n]
    return np.concatenate([_contexts(nlp, p.read_text(encoding="utf-8"))[1] for p in paths])


def test_the_classifier_fast_path_equals_predict_proba(char_nlp, tiny_nlp, seeds):
    import scipy.sparse as sp

    from policy_nlp.model.scoring import _plain_one_vs_rest, classifier_proba

    ctx = np.concatenate([_contexts(char_nlp, t)[1] for t in seeds.values()] + [_work_report_contexts(char_nlp)])
    rng = np.random.default_rng(5)
    for nlp in (char_nlp, tiny_nlp):
        model = nlp.get_pipe("policy_nlp_themes").model
        matrices = feature_matrices(model, ctx)
        for group, pipe in model.pipelines_.items():
            clf = pipe.named_steps["classifier"]
            assert _plain_one_vs_rest(clf)
            X = matrices[group]
            random = sp.random(300, X.shape[1], density=0.02, format="csr", random_state=rng) * 50  # far-off logits
            for rows in (X, X[:1], random, sp.csr_matrix(X.shape)):
                assert classifier_proba(clf, rows).tobytes() == clf.predict_proba(rows).tobytes()
            with pytest.raises(ValueError):  # no rows: scikit-learn's own error
                classifier_proba(clf, X[:0])


@pytest.mark.filterwarnings("ignore:Label 1 is present in all training examples")
def test_other_classifiers_go_through_predict_proba():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from policy_nlp.model.scoring import _plain_one_vs_rest, classifier_proba

    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    Y = (rng.random((40, 2)) < 0.5).astype(int)
    single = OneVsRestClassifier(LogisticRegression()).fit(X, Y[:, 0])  # one estimator: two columns out
    constant = OneVsRestClassifier(LogisticRegression()).fit(X, np.c_[Y[:, 0], np.ones(40, int)])
    others = (single, constant, OneVsRestClassifier(DummyClassifier()).fit(X, Y), LogisticRegression().fit(X, Y[:, 0]))
    for clf in others:
        assert not _plain_one_vs_rest(clf)
        np.testing.assert_array_equal(classifier_proba(clf, X), clf.predict_proba(X))
    assert _plain_one_vs_rest(OneVsRestClassifier(LogisticRegression()).fit(X, Y))
