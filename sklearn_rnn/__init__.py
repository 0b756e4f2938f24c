"""Recurrent neural networks for scikit-learn.

Transformers turn text into sequences (:class:`TextTokenizer`,
:class:`HashingOneHot`), bags of n-grams (:class:`NGramVectorizer`),
fixed-length arrays (:class:`SequencePadder`) and pretrained embeddings
(:class:`PretrainedEmbedding`); :class:`RNNClassifier` trains a recurrent
network (PyTorch, through skorch) on them, :class:`RNNLMClassifier` a
recurrent language model per class, and :class:`LSTMRegressor` predicts
numbers from sequences (time-series windows from :func:`make_windows`, scaled
by :class:`SequenceScaler`, scored by rolling origin against naive forecasts
with :func:`backtest`). :class:`Seq2SeqEstimator` maps sequences to
sequences (encoder-decoder with attention, teacher forcing, beam search);
:mod:`sklearn_rnn.metrics` scores its outputs. All compose in scikit-learn
Pipelines.

The data contract
-----------------
- Reserved ids: 0 = padding, 1 = out-of-vocabulary, 2 = begin of sequence,
  3 = end of sequence (``PAD_ID``, ``OOV_ID``, ``BOS_ID``, ``EOS_ID``). Real
  tokens are numbered from 4 (``N_RESERVED``), most frequent first, ties
  broken deterministically.
- A batch of token sequences is either a 1-D object ndarray of 1-D int arrays
  (ragged) or a 2-D int array padded with 0. Never a plain Python list of
  lists: skorch reads a list as several inputs.
- Sequence lengths are derived (from the ragged lengths, or from the padding:
  every id 0 is padding), never passed beside X, so X alone flows through
  Pipeline, GridSearchCV slicing and cross-validation.
- Numeric sequences (time series) are a 3-D float array
  (n_samples, timesteps, n_features) or a ragged object array of 2-D float
  arrays.
- :class:`TokenSequences` carries id sequences together with the embedding
  matrix their ids index (what :class:`PretrainedEmbedding` passes on).
"""

import importlib
import sys
import types
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sklearn-rnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

# Where each public name lives. They load on first use (PEP 562), so that
# ``import sklearn_rnn`` and the command line's ``--help`` do not wait for
# torch, skorch and scikit-learn to import.
_LAZY = {
    "BOS_ID": "._sequences",
    "EOS_ID": "._sequences",
    "N_RESERVED": "._sequences",
    "OOV_ID": "._sequences",
    "PAD_ID": "._sequences",
    "TokenSequences": "._sequences",
    "pad_sequences": "._sequences",
    "load_word_vectors": "._vectors",
    "AdaptiveIntervals": ".intervals",
    "ConformalIntervals": ".intervals",
    "ForecastCombination": ".backtest",
    "HoltWintersForecaster": ".backtest",
    "LastValueForecaster": ".backtest",
    "RebasedRegressor": ".backtest",
    "SeasonalNaiveForecaster": ".backtest",
    "backtest": ".backtest",
    "RNNClassifier": ".classifier",
    "RNNLMClassifier": ".language_model",
    "PretrainedEmbedding": ".embedding",
    "HashingOneHot": ".hashing",
    "NGramVectorizer": ".ngrams",
    "SequencePadder": ".padding",
    "LSTMRegressor": ".regressor",
    "Seq2SeqEstimator": ".seq2seq",
    "RNNTagger": ".tagger",
    "RollingOriginSplit": ".timeseries",
    "SequenceScaler": ".timeseries",
    "forecast_windows": ".timeseries",
    "make_windows": ".timeseries",
    "TextTokenizer": ".tokenizer",
}

__all__ = [
    "AdaptiveIntervals",
    "BOS_ID",
    "ConformalIntervals",
    "EOS_ID",
    "N_RESERVED",
    "OOV_ID",
    "PAD_ID",
    "ForecastCombination",
    "HashingOneHot",
    "HoltWintersForecaster",
    "LSTMRegressor",
    "LastValueForecaster",
    "NGramVectorizer",
    "PretrainedEmbedding",
    "RNNClassifier",
    "RNNLMClassifier",
    "RNNTagger",
    "RebasedRegressor",
    "RollingOriginSplit",
    "SeasonalNaiveForecaster",
    "Seq2SeqEstimator",
    "SequencePadder",
    "SequenceScaler",
    "TextTokenizer",
    "TokenSequences",
    "backtest",
    "forecast_windows",
    "load_word_vectors",
    "make_windows",
    "pad_sequences",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # once loaded, an ordinary attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package's module type: the function ``backtest`` keeps its name.

    Importing the submodule ``sklearn_rnn.backtest`` sets the package
    attribute ``backtest`` to that module; the public name is the function
    it defines (as the eager ``from .backtest import backtest`` made it).
    """

    def __setattr__(self, name, value):
        if name == "backtest" and isinstance(value, types.ModuleType):
            value = value.backtest
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
