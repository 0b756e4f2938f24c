"""Recurrent neural networks for scikit-learn.

Transformers turn text into sequences (:class:`TextTokenizer`,
:class:`HashingOneHot`), bags of n-grams (:class:`NGramVectorizer`),
fixed-length arrays (:class:`SequencePadder`) and pretrained embeddings
(:class:`PretrainedEmbedding`); :class:`RNNClassifier` trains a recurrent
network (PyTorch, through skorch) on them and :class:`LSTMRegressor` predicts
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

from importlib.metadata import PackageNotFoundError, version

from ._sequences import (
    BOS_ID,
    EOS_ID,
    N_RESERVED,
    OOV_ID,
    PAD_ID,
    TokenSequences,
    pad_sequences,
)
from ._vectors import load_word_vectors
from .backtest import LastValueForecaster, SeasonalNaiveForecaster, backtest
from .classifier import RNNClassifier
from .embedding import PretrainedEmbedding
from .hashing import HashingOneHot
from .ngrams import NGramVectorizer
from .padding import SequencePadder
from .regressor import LSTMRegressor
from .seq2seq import Seq2SeqEstimator
from .tagger import RNNTagger
from .timeseries import RollingOriginSplit, SequenceScaler, forecast_windows, make_windows
from .tokenizer import TextTokenizer

try:
    __version__ = version("sklearn-rnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BOS_ID",
    "EOS_ID",
    "N_RESERVED",
    "OOV_ID",
    "PAD_ID",
    "HashingOneHot",
    "LSTMRegressor",
    "LastValueForecaster",
    "NGramVectorizer",
    "PretrainedEmbedding",
    "RNNClassifier",
    "RNNTagger",
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
