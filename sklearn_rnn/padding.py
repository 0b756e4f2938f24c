"""SequencePadder: pad and truncate sequences to a fixed length inside a Pipeline."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._sequences import (
    PAD_ID,
    TokenSequences,
    check_id_sequences,
    check_numeric_sequences,
    feature_width,
    input_kind,
    materialize,
    pad_sequences,
    reject_unsupported,
    sequence_lengths,
)


class SequencePadder(TransformerMixin, BaseEstimator):
    """Pad and truncate sequences to a fixed length, learned or given.

    Token-id sequences (integer) become a 2-D ``int64`` array padded with
    ``value`` (0, the padding id, by default); numeric sequences (float) of
    vectors become a 3-D ``float32`` array ``(n_sequences, maxlen, n_features)``.
    The padding itself is :func:`sklearn_rnn.pad_sequences`, which gives the
    same results as Keras' ``pad_sequences``.

    The defaults, ``padding='pre'`` and ``truncating='pre'``, are Keras' and
    deliberate: a recurrent model that reads its last time step (as a plain
    Keras model does) then sees real tokens last, and truncating from the
    start keeps the end of a long text, where reviews tend to give their
    verdict. The package's own recurrent estimators use each sequence's true
    length, so for them the side of the padding does not change predictions.

    Parameters
    ----------
    maxlen : int, float or None, default=None
        Output length. An int fixes it. A float in (0, 1] learns it in ``fit``
        as that quantile of the training lengths (0.95 covers 95% of the
        sequences whole and caps the long tail). ``None`` learns the longest
        training sequence; longer sequences met in ``transform`` are then
        truncated with a warning, since the user did not ask for it.
    padding : {'pre', 'post'}, default='pre'
        Where padding goes.
    truncating : {'pre', 'post'}, default='pre'
        Where values are dropped from sequences longer than ``maxlen``.
    value : int or float, default=0
        Padding value.

    Attributes
    ----------
    maxlen_ : int
        The length sequences are padded to.
    n_features_in_ : int or None
        Features per time step of numeric vector sequences (None for ids).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import SequencePadder
    >>> X = [np.array([5, 6, 7]), np.array([8])]
    >>> SequencePadder().fit_transform(X)
    array([[5, 6, 7],
           [0, 0, 8]])
    """

    _parameter_constraints = {
        "maxlen": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            None,
        ],
        "padding": [StrOptions({"pre", "post"})],
        "truncating": [StrOptions({"pre", "post"})],
        "value": [Real],
    }

    def __init__(self, *, maxlen=None, padding="pre", truncating="pre", value=PAD_ID):
        self.maxlen = maxlen
        self.padding = padding
        self.truncating = truncating
        self.value = value

    def _sequences(self, X):
        X = materialize(X)
        reject_unsupported(X)
        if input_kind(X) == "numeric":
            return check_numeric_sequences(X), True
        return list(check_id_sequences(X)), False

    def fit(self, X, y=None):
        """Learn ``maxlen_`` (and the feature count of vector sequences)."""
        self._validate_params()
        seqs, _ = self._sequences(X)
        lengths = sequence_lengths(seqs)
        if isinstance(self.maxlen, Integral):
            self.maxlen_ = int(self.maxlen)
        else:
            q = 1.0 if self.maxlen is None else self.maxlen
            self.maxlen_ = max(1, int(np.ceil(np.quantile(lengths, q))))
        self.n_features_in_ = feature_width(seqs)
        return self

    def fit_transform(self, X, y=None):
        """Learn ``maxlen_`` and pad ``X`` (a generator is read once)."""
        X = materialize(X)
        return self.fit(X).transform(X)

    def transform(self, X):
        """Pad (and truncate) each sequence to ``maxlen_``."""
        check_is_fitted(self, "maxlen_")
        seqs, numeric = self._sequences(X)
        for i, s in enumerate(seqs):
            n_features = s.shape[1] if s.ndim == 2 else None
            if len(s) and n_features != self.n_features_in_:
                raise ValueError(
                    f"Sequence {i} has {n_features} features per step; SequencePadder "
                    f"was fitted on {self.n_features_in_}."
                )
        if self.maxlen is None:
            n_long = int((sequence_lengths(seqs) > self.maxlen_).sum())
            if n_long:
                warnings.warn(
                    f"{n_long} sequence(s) are longer than the longest training "
                    f"sequence ({self.maxlen_}) and were truncated; set maxlen to "
                    "choose the length yourself.",
                    UserWarning,
                    stacklevel=2,
                )
        padded = pad_sequences(
            seqs,
            maxlen=self.maxlen_,
            padding=self.padding,
            truncating=self.truncating,
            value=self.value,
            dtype=np.float32 if numeric else np.int64,
        )
        if isinstance(X, TokenSequences):
            return TokenSequences(padded, X.embedding_matrix)
        return padded

    @property
    def n_features_(self):
        """The former name of ``n_features_in_`` (scikit-learn's name), kept for old code."""
        return self.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        return tags
