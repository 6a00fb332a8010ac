"""Prompt engineering: adapt a pretrained model to a task with no weight update.

- Templates with named variables (Jinja2), checked before anything runs, and a library
  that keeps them in named versions (:class:`PromptTemplate`, :class:`PromptLibrary`).
- Zero-shot classification by a language model, scoring each label's verbalizer words
  after the prompt (:class:`PromptClassifier`), or by an encoder, comparing embeddings
  with label descriptions (:func:`embedding_zero_shot`).
- Few-shot in-context learning with random, balanced or nearest-neighbour demonstrations
  (:class:`DemonstrationSelector`), and contextual calibration (:func:`calibrate`).
- Entity extraction by asking a generative model for JSON (:func:`extract_entities`).
- Side-by-side evaluation of templates × verbalizers × strategies with bootstrap
  intervals (:func:`evaluate_prompts`).

Nothing here imports torch until a model is used.

Example:
    >>> from open_interpreter.prompting import PromptTemplate
    >>> sorted(PromptTemplate("{{ text }} is about {{ topic }}").variables)
    ['text', 'topic']
"""

from open_interpreter.prompting.api import few_shot, zero_shot
from open_interpreter.prompting.bootstrap import bootstrap_interval, paired_difference
from open_interpreter.prompting.calibration import CONTENT_FREE_INPUTS, calibrate, estimate_bias
from open_interpreter.prompting.classifier import (
    DEFAULT_TEMPLATE,
    PromptClassifier,
    PromptPrediction,
    PromptPredictions,
)
from open_interpreter.prompting.demonstrations import Demonstration, DemonstrationSelector
from open_interpreter.prompting.embeddings import SentenceEncoder, embedding_zero_shot
from open_interpreter.prompting.eval_config import PromptEvalConfig, PromptRun, load_eval_config
from open_interpreter.prompting.eval_table import Effect, PromptEvalRow, PromptEvalTable
from open_interpreter.prompting.evaluate import evaluate_prompts
from open_interpreter.prompting.extraction import (
    ExtractedEntity,
    Extraction,
    extract_entities,
    locate_entities,
    parse_entities,
)
from open_interpreter.prompting.library import (
    FilePromptStore,
    PromptLibrary,
    PromptStore,
    SavedPrompt,
)
from open_interpreter.prompting.scoring import score_continuations
from open_interpreter.prompting.templates import PromptTemplate, TemplateError
from open_interpreter.prompting.verbalizers import Verbalizer

__all__ = [
    "CONTENT_FREE_INPUTS",
    "DEFAULT_TEMPLATE",
    "Demonstration",
    "DemonstrationSelector",
    "Effect",
    "ExtractedEntity",
    "Extraction",
    "FilePromptStore",
    "PromptClassifier",
    "PromptEvalConfig",
    "PromptEvalRow",
    "PromptEvalTable",
    "PromptLibrary",
    "PromptPrediction",
    "PromptPredictions",
    "PromptRun",
    "PromptStore",
    "PromptTemplate",
    "SavedPrompt",
    "SentenceEncoder",
    "TemplateError",
    "Verbalizer",
    "bootstrap_interval",
    "calibrate",
    "embedding_zero_shot",
    "estimate_bias",
    "evaluate_prompts",
    "extract_entities",
    "few_shot",
    "load_eval_config",
    "locate_entities",
    "paired_difference",
    "parse_entities",
    "score_continuations",
    "zero_shot",
]
