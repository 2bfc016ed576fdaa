"""Building and loading the spaCy pipeline: `zh` + normalising tokenizer + structure + themes."""
from __future__ import annotations

import threading
from pathlib import Path

import spacy
from spacy.language import Language

from .components import indicators, structure, themes, tokenizer  # noqa: F401  (registers factories and the tokenizer)
from .errors import ModelError, PolicyNLPError
from .model_dir import check_config, check_files, check_tree

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
    nlp.add_pipe(THEMES, config={**rules_cfg, "hyperparameters": themes.estimator_config(hyperparameters)})
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
    if not (path / "meta.json").is_file():  # spaCy would say "[E053] Could not read meta.json"
        raise ModelError("E104", path=path)
    check_tree(path)
    check_files(path)
    check_config(path)
    overrides: dict = {"segmenter": segmenter}
    if pkuseg_model is not None:
        overrides["pkuseg_model"] = pkuseg_model
    try:
        nlp = spacy.load(path, config={"nlp": {"tokenizer": overrides}})
    except PolicyNLPError:
        raise
    except (ValueError, KeyError) as exc:  # thinc's ConfigValidationError (a ValueError), spaCy's E956 …
        detail = " ".join(str(exc).split())[:400]
        raise ModelError("E116", path=path, detail=f"spaCy cannot build the pipeline it describes: {detail}") from None
    nlp.max_length = MAX_LENGTH
    if segmenter == "pkuseg":
        nlp.tokenizer.initialize(allow_download=allow_download)
    return nlp


def explain_config(nlp: Language, top: int) -> dict | None:
    """The `component_cfg` of `nlp(...)`/`nlp.pipe(...)` that makes the themes component explain every doc with
    `top` features per label (None for `top` 0: the component's own setting); E160 without that component."""
    if not top:
        return None
    if THEMES not in nlp.pipe_names:
        raise ModelError("E160", components=", ".join(nlp.pipe_names) or "none")
    return {THEMES: {"explain_top": top}}


_DEFAULT: dict[str, Language] = {}
_DEFAULT_LOCK = threading.Lock()


def default_pipeline(segmenter: str = "pkuseg") -> Language:
    """The shipped pipeline, loaded once per segmenter and cached; threads that ask at the same time wait for
    the one load (not one pkuseg model per thread)."""
    nlp = _DEFAULT.get(segmenter)
    if nlp is None:
        with _DEFAULT_LOCK:
            nlp = _DEFAULT.get(segmenter)
            if nlp is None:
                nlp = _DEFAULT[segmenter] = load(segmenter=segmenter)
    return nlp


def model_fingerprint(nlp: Language) -> str:
    """SHA-256 over what decides a pipeline's answers: the theme model file's hash, the rules and indicator
    vocabulary the components hold, the pipeline config (without the segmenter and the themes component's
    `explain_top`, which do not change the labels, nor the name of the estimator recipe, which a pipeline saved
    before it was registered does not write, nor a `calibration` of None, which such a table does not name) and
    the package version. Computed once per pipeline object."""
    cached = getattr(nlp, "_policy_nlp_fingerprint", None)
    if cached is not None:
        return cached
    import hashlib
    import json

    from .version import __version__

    config = nlp.config.copy()
    config["nlp"]["tokenizer"].pop("segmenter", None)
    if THEMES in config["components"]:
        config["components"][THEMES].pop("explain_top", None)
        hyperparameters = config["components"][THEMES].get("hyperparameters", {})
        if hyperparameters.get("@misc") == themes.ESTIMATOR:
            hyperparameters.pop("@misc")
        if "calibration" in hyperparameters and hyperparameters["calibration"] is None:
            hyperparameters.pop("calibration")  # the recipe's default: a table saved before calibration existed
    h = hashlib.sha256()
    h.update(json.dumps({"policy_nlp": __version__, "name": nlp.meta.get("name"),
                         "version": nlp.meta.get("version"), "config": config.to_str()},
                        sort_keys=True).encode())
    for name, component in nlp.pipeline:
        if name == THEMES:
            h.update(component.model_sha256.encode())
        elif hasattr(component, "to_bytes"):
            h.update(hashlib.sha256(component.to_bytes()).digest())
    value = h.hexdigest()
    try:
        nlp._policy_nlp_fingerprint = value
    except AttributeError:
        pass
    return value
