"""Building and loading the spaCy pipeline: `zh` + normalising tokenizer + structure + themes."""
from __future__ import annotations

import functools
from pathlib import Path

import spacy
from spacy.language import Language

from .components import indicators, structure, themes, tokenizer  # noqa: F401  (registers factories and the tokenizer)
from .errors import ModelError

SHIPPED_MODEL_NAME = "policy_nlp_zh_reports"
STRUCTURE = "policy_nlp_report_structure"
# Every component is linear in the text length (no parser or NER), so long reports are safe.
MAX_LENGTH = 50_000_000
THEMES = "policy_nlp_themes"
INDICATORS = "policy_nlp_indicators"


def shipped_model_path() -> Path:
    """Directory of the model trained on the seed reports, installed with the package."""
    from importlib import resources

    try:
        root = Path(str(resources.files("policy_nlp.models")))
    except ModuleNotFoundError:  # running from a source tree without installation
        root = Path(__file__).resolve().parent.parent / "models"
    return root / SHIPPED_MODEL_NAME


def create_pipeline(segmenter: str = "pkuseg", *, opencc_config: str = "t2s", pkuseg_model: str = "default",
                    hyperparameters: dict | None = None, rules: dict | None = None) -> Language:
    """A blank pipeline with every component added and no trained model (train it, or load one).

    `hyperparameters`: theme estimator settings over `themes.DEFAULT_HYPERPARAMETERS`; `rules`: a registered
    rules reference for both components (default `{"@misc": "policy_nlp.report_rules.v<latest>"}`)."""
    if segmenter not in tokenizer.SEGMENTERS:
        raise ModelError("E006", segmenter=segmenter)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {
        "@tokenizers": "policy_nlp.ChineseTokenizer.v1", "segmenter": segmenter,
        "opencc_config": opencc_config, "pkuseg_model": pkuseg_model,
    }}})
    rules_cfg = {"rules": rules} if rules else {}
    nlp.add_pipe(STRUCTURE, config=rules_cfg)
    nlp.add_pipe(THEMES, config={**rules_cfg, "hyperparameters": {**themes.DEFAULT_HYPERPARAMETERS,
                                                                  **(hyperparameters or {})}})
    nlp.add_pipe(INDICATORS)
    nlp.max_length = MAX_LENGTH
    return nlp


def load(path_or_name: str | Path | None = None, *, segmenter: str = "pkuseg",
         pkuseg_model: str | None = None, allow_download: bool = True) -> Language:
    """Load a trained pipeline (default: the shipped model) with the chosen segmenter.

    `segmenter`: 'pkuseg' (the cached pkuseg `default` model, fetched on first use unless
    `allow_download=False`) or 'char' (no weights needed, works offline).
    `pkuseg_model`: 'default', a directory holding a pkuseg model, or a spacy-pkuseg model name.
    """
    if segmenter not in tokenizer.SEGMENTERS:
        raise ModelError("E006", segmenter=segmenter)
    path = Path(path_or_name) if path_or_name is not None else shipped_model_path()
    if not (path / "config.cfg").is_file():
        raise ModelError("E005", path=path)
    overrides: dict = {"segmenter": segmenter}
    if pkuseg_model is not None:
        overrides["pkuseg_model"] = pkuseg_model
    nlp = spacy.load(path, config={"nlp": {"tokenizer": overrides}})
    nlp.max_length = MAX_LENGTH
    if segmenter == "pkuseg":
        nlp.tokenizer.initialize(allow_download=allow_download)
    return nlp


@functools.lru_cache(maxsize=4)
def default_pipeline(segmenter: str = "pkuseg") -> Language:
    """The shipped pipeline, loaded once per segmenter and cached."""
    return load(segmenter=segmenter)
