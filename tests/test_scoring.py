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
    _, _, ctx = themes._contexts(doc)
    return themes.model, ctx


def test_probabilities_equal_predict_proba_of_a_calibrated_model(tiny_nlp):
    model, ctx = _contexts(tiny_nlp, seed_text(SEED_NAMES[1]))
    assert model.calibrators_ and len(ctx) > 50
    got = probabilities(model, feature_matrices(model, ctx), len(ctx))
    np.testing.assert_array_equal(got, model.predict_proba(ctx))


def test_probabilities_equal_predict_proba_of_the_shipped_model(char_nlp):
    model, ctx = _contexts(char_nlp, seed_text(SEED_NAMES[3]))
    got = probabilities(model, feature_matrices(model, ctx), len(ctx))
    np.testing.assert_array_equal(got, model.predict_proba(ctx))
