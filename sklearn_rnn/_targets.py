"""Layer 4 plumbing: target encoders, the one thing each estimator's targets need of its own.

An estimator declares its target encoding as one of these scikit-learn
transformers (SciKeras' ``target_encoder``): ``fit_transform`` checks the
targets of the first fit and learns the encoding, ``transform`` turns later
targets into what the loss reads, and ``inverse_transform`` turns the
network's outputs back into predictions in the user's terms.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from ._sequences import (
    BOS_ID,
    EOS_ID,
    N_RESERVED,
    OOV_ID,
    PAD_ID,
    as_ragged,
    check_id_sequences,
    input_kind,
    materialize,
)
from ._text import check_raw_documents


class ClassTargets(TransformerMixin, BaseEstimator):
    """Labels as class indices for a cross-entropy loss; logits back to labels.

    A 2-D binary indicator ``y`` (``n_samples, n_labels``: multi-label, as
    scikit-learn's ``MultiLabelBinarizer`` gives) is kept as 0/1 floats for
    a per-label sigmoid loss; its logits come back as 0/1 at probability 0.5.

    Parameters
    ----------
    class_weight : dict, 'balanced' or None, default=None
        As in scikit-learn: ``class_weight_`` is computed by
        :func:`sklearn.utils.class_weight.compute_class_weight`.
    """

    def __init__(self, class_weight=None):
        self.class_weight = class_weight

    @staticmethod
    def _check(y):
        values = np.asarray(y)
        if values.ndim == 2 and values.shape[1] > 1:
            y = values
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "A 2-D y must be a binary indicator matrix (n_samples, n_labels) of 0 and "
                    f"1 for multi-label classification; got {type_of_target(y)!r} values."
                )
            return y
        y = column_or_1d(y, warn=True)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type {kind!r}: a classifier takes binary or multiclass labels, "
                "or a 2-D binary indicator matrix (multi-label)."
            )
        return y

    def fit(self, y, sample_weight=None):
        y = self._check(y)
        self.class_weight_ = None
        self.multilabel_ = y.ndim == 2
        if self.multilabel_:
            if self.class_weight is not None:
                raise ValueError(
                    "class_weight is for one label per sample; with multi-label y, weigh "
                    "samples with sample_weight."
                )
            self.classes_ = np.arange(y.shape[1])
            return self
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "A classifier needs at least two classes in y; got 1 class "
                f"({classes.tolist()[0]!r})."
            )
        self.classes_ = classes
        if self.class_weight is not None:
            # scikit-learn's weights: a label the dict names but y lacks is an error.
            self.class_weight_ = compute_class_weight(self.class_weight, classes=classes, y=y)
            if not np.all(np.isfinite(self.class_weight_)) or (self.class_weight_ < 0).any():
                raise ValueError(
                    f"class_weight must be finite and non-negative; got {self.class_weight!r}."
                )
        return self

    def transform(self, y):
        y = self._check(y)
        if self.multilabel_:
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y must be an indicator matrix of {len(self.classes_)} labels, as in the "
                    f"first fit; got shape {np.shape(y)}."
                )
            return y.astype(np.float32)
        if y.ndim != 1:
            raise ValueError("The first fit had one label per sample; got a 2-D y.")
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"y holds labels not seen in the first fit: {unseen.tolist()}.")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def inverse_transform(self, logits):
        """The label of the largest logit of each row (multi-label: every positive logit)."""
        logits = np.asarray(logits)
        if self.multilabel_:
            return (logits > 0).astype(np.int64)
        return self.classes_[logits.argmax(axis=1)]

    @property
    def n_outputs_(self):
        return len(self.classes_)


class ScaledTargets(TransformerMixin, BaseEstimator):
    """Numbers standardised (weighted by the samples) for a squared loss; outputs back in units."""

    @staticmethod
    def _check(y):
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            kind = np.asarray(y).dtype
            raise ValueError(f"Regression targets must be numbers; got dtype {kind}.") from None
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D (n_samples, n_outputs); got {y.ndim}-D.")
        bad = np.flatnonzero(~np.isfinite(y.reshape(len(y), -1)).all(axis=1))
        if len(bad):
            raise ValueError(f"y holds NaN or infinite values (first at sample {bad[0]}).")
        return y

    def fit(self, y, sample_weight=None):
        y = self._check(y)
        self.ndim_ = y.ndim
        self.scaler_ = StandardScaler().fit(y.reshape(len(y), -1), sample_weight=sample_weight)
        self.n_outputs_ = self.scaler_.n_features_in_
        return self

    def transform(self, y):
        y = self._check(y)
        y = y.reshape(len(y), -1)
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs; the model was fitted on {self.n_outputs_}."
            )
        return self.scaler_.transform(y).astype(np.float32)

    def inverse_transform(self, outputs):
        """Outputs in the units of the training targets, 1-D if those were."""
        pred = self.scaler_.inverse_transform(np.asarray(outputs, dtype=np.float64))
        return pred.ravel() if self.ndim_ == 1 else pred


class TokenTargets(TransformerMixin, BaseEstimator):
    """Target sequences (strings or token ids) as id sequences without markers; ids back.

    Strings go through a clone of ``tokenizer`` (begin/end markers off: the
    model adds them); id targets are checked to hold real tokens only. Later
    targets read ids never seen in the first fit as out-of-vocabulary.

    Parameters
    ----------
    tokenizer : TextTokenizer
        For string targets.
    max_output_length : int or None, default=None
        Longest target, in tokens with the end marker; None is twice the
        longest first-fit target plus 5. A longer first-fit target is an error.
    """

    def __init__(self, tokenizer, max_output_length=None):
        self.tokenizer = tokenizer
        self.max_output_length = max_output_length

    def _ids(self, Y, *, fitting=False):
        Y = materialize(Y)
        if fitting:
            self.kind_ = "text" if input_kind(Y) == "text" else "ids"
        if self.kind_ == "text":
            docs = check_raw_documents(Y)
            if fitting:
                self.tokenizer_ = clone(self.tokenizer).set_params(add_markers=False)
                return self.tokenizer_.fit_transform(docs)
            return self.tokenizer_.transform(docs)
        if input_kind(Y) == "text":
            raise TypeError("The model was fitted on token-id targets; got strings.")
        targets = check_id_sequences(Y)  # a padded 2-D array loses its padding (0) here
        for i, t in enumerate(targets):
            if (t == PAD_ID).any():
                raise ValueError(
                    f"Target {i} holds the padding id 0 inside a ragged sequence; "
                    "ragged targets hold real tokens only."
                )
            reserved = t[(t == BOS_ID) | (t == EOS_ID)]
            if len(reserved):
                raise ValueError(
                    f"Target {i} holds the reserved id {reserved[0]} (2 begins and 3 ends a "
                    "sequence; the estimator adds them): number real target tokens from "
                    f"{N_RESERVED}."
                )
        return targets

    def fit(self, Y, sample_weight=None):
        self.fit_transform(Y)
        return self

    def fit_transform(self, Y, sample_weight=None):
        targets = self._ids(Y, fitting=True)
        lengths = np.array([len(t) for t in targets])
        self.max_output_length_ = self.max_output_length or 2 * (int(lengths.max()) + 1) + 5
        too_long = np.flatnonzero(lengths + 1 > self.max_output_length_)
        if len(too_long):
            i = too_long[0]
            raise ValueError(
                f"{len(too_long)} target(s) are longer than max_output_length="
                f"{self.max_output_length} tokens with the end marker (first: target {i}, "
                f"{lengths[i]} tokens + 1). Raise max_output_length, or shorten or "
                "drop those pairs yourself."
            )
        if self.kind_ == "text":
            self.n_tokens_ = self.tokenizer_.vocabulary_size_
        else:
            self.n_tokens_ = (
                max(max((int(t.max()) for t in targets if len(t)), default=0), EOS_ID) + 1
            )
        return targets

    def transform(self, Y):
        return as_ragged([np.where(t < self.n_tokens_, t, OOV_ID) for t in self._ids(Y)])

    def _strip(self, tokens):
        ended = (tokens == EOS_ID).any(axis=1)
        if not ended.all():
            warnings.warn(
                f"{(~ended).sum()} of {len(tokens)} outputs reached max_output_length="
                f"{self.max_output_length_} without an end marker; they are returned cut there.",
                UserWarning,
                stacklevel=4,
            )
        # Decoding pads each row after its end marker.
        return as_ragged(
            [row[(row != PAD_ID) & (row != EOS_ID)].astype(np.int64) for row in tokens]
        )

    def inverse_transform(self, tokens):
        """Decoded rows as targets: strings for string targets, else ragged id arrays.

        Markers and padding are removed; a row without an end marker (cut at
        ``max_output_length_``) is kept as it is, with a warning.
        """
        ids = self._strip(tokens)
        if self.kind_ == "text":
            return np.array(self.tokenizer_.sequences_to_texts(ids), dtype=object)
        return ids

    def inverse_tokens(self, tokens):
        """Decoded rows as lists of tokens (str for string targets, else int ids)."""
        ids = self._strip(tokens)
        if self.kind_ == "text":
            return self.tokenizer_.inverse_transform(ids)
        return [row.tolist() for row in ids]

    def tokens(self, Y):
        """Each target as its list of tokens, as the model sees them (words kept even if OOV)."""
        if self.kind_ == "text":
            analyze = self.tokenizer_._build_text_analyzer()
            return [list(analyze(doc)) for doc in check_raw_documents(materialize(Y))]
        return [t.tolist() for t in self._ids(Y)]


class TagTargets(TransformerMixin, BaseEstimator):
    """Label sequences (one label per step) as class-index sequences; logits back to labels."""

    @staticmethod
    def _sequences(y):
        if isinstance(y, (str, bytes)) or not hasattr(y, "__iter__"):
            raise TypeError(
                "y must be a collection of label sequences (one label per step), e.g. "
                f"[['DET', 'NOUN'], ['VERB']]; got a {type(y).__name__}."
            )
        out = []
        for i, seq in enumerate(y):
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
                raise TypeError(
                    f"y[{i}] is a {type(seq).__name__}, not a sequence of labels (one label "
                    "per step of sequence {i})."
                )
            labels = list(seq)
            missing = next((j for j, v in enumerate(labels) if v is None or v != v), None)
            if missing is not None:  # None or NaN
                raise ValueError(
                    f"y[{i}] has no label at step {missing} ({labels[missing]!r}); every step "
                    "needs one."
                )
            out.append(np.asarray(labels))
        return out

    def fit(self, y, sample_weight=None):
        seqs = self._sequences(y)
        labels = [s for s in seqs if len(s)]
        if not labels:
            raise ValueError("y holds no labels: every label sequence is empty.")
        self.classes_ = np.unique(np.concatenate(labels))
        if len(self.classes_) < 2:
            raise ValueError(
                f"y holds one label only ({self.classes_[0]!r}); a tagger needs at least two."
            )
        return self

    def transform(self, y):
        out = []
        for i, seq in enumerate(self._sequences(y)):
            if not len(seq):
                out.append(np.zeros(0, dtype=np.int64))
                continue
            index = np.searchsorted(self.classes_, seq)
            index = np.clip(index, 0, len(self.classes_) - 1)
            unknown = self.classes_[index] != seq
            if unknown.any():
                raise ValueError(
                    f"y[{i}] holds the label {seq[np.argmax(unknown)].item()!r}, which the "
                    f"first fit did not see; the labels are {self.classes_.tolist()}."
                )
            out.append(index.astype(np.int64))
        return as_ragged(out)

    def fit_transform(self, y, sample_weight=None):
        return self.fit(y).transform(y)

    def inverse_transform(self, ids):
        """Per-sequence label ids (steps,) to label arrays."""
        return as_ragged([self.classes_[np.asarray(s)] for s in ids])

    n_outputs_ = property(lambda self: len(self.classes_))
