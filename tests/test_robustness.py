"""The bad-input catalogue: every public class, messy input, and the outcome each must give.

Each case is an action and its expected outcome: an exception of our own with a
message naming the problem (the argument, the index or the value), or a
documented handling checked by a function. Cases are flat data so that the
catalogue is easy to read and extend.
"""

import gzip
import re
import struct
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from sklearn_rnn import (
    HashingOneHot,
    LSTMRegressor,
    NGramVectorizer,
    PretrainedEmbedding,
    RNNClassifier,
    RNNTagger,
    RollingOriginSplit,
    Seq2SeqEstimator,
    SequencePadder,
    SequenceScaler,
    TextTokenizer,
    backtest,
    make_windows,
)
from sklearn_rnn._sequences import as_ragged
from sklearn_rnn.compare import compare
from sklearn_rnn.datasets import read_conllu
from sklearn_rnn.metrics import entity_f1_score, tag_accuracy_score

DOCS = ["a good film", "a bad film", "good fun", "bad mess"] * 3
LABELS = [1, 0, 1, 0] * 3
VECTORS = {"good": [1.0, 0.0], "bad": [0.0, 1.0], "film": [0.5, 0.5]}


def ids(*rows):
    return as_ragged([np.array(r, dtype=np.int64) for r in rows])


IDS = ids([4, 5, 6], [4, 7], [5, 6, 7, 8], [6], [4, 4, 5], [7, 8])
ID_LABELS = [0, 1, 0, 1, 0, 1]
NUMERIC = np.random.default_rng(0).normal(size=(8, 5, 2)).astype(np.float32)
TARGETS = np.arange(8, dtype=np.float64)


def clf(**kw):
    return RNNClassifier(max_epochs=1, hidden_size=4, embedding_dim=4, random_state=0, **kw)


def reg(**kw):
    return LSTMRegressor(max_epochs=1, hidden_size=4, random_state=0, **kw)


def s2s(**kw):
    return Seq2SeqEstimator(max_epochs=1, hidden_size=8, embedding_dim=4, random_state=0, **kw)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@dataclass
class Raises:
    error: type
    match: str


@dataclass
class Gives:
    check: object  # callable(result) -> bool
    what: str


CASES = {
    # -- TextTokenizer --------------------------------------------------------
    "tokenizer-single-string": (
        lambda tmp: TextTokenizer().fit("a good film"),
        Raises(TypeError, "Iterable over raw text documents expected, string object received"),
    ),
    "tokenizer-none-document": (
        lambda tmp: TextTokenizer().fit(["good", None]),
        Raises(ValueError, r"Document 1 is missing \(None\)"),
    ),
    "tokenizer-nan-in-series": (
        lambda tmp: TextTokenizer().fit(pd.Series(["good", np.nan, "bad"])),
        Raises(ValueError, r"Document 1 is missing \(nan\)"),
    ),
    "tokenizer-number-document": (
        lambda tmp: TextTokenizer().fit(["good", 3.5]),
        Raises(TypeError, "Document 1 is float 3.5, not a string"),
    ),
    "tokenizer-invalid-utf8-bytes": (
        lambda tmp: TextTokenizer().fit(["good", b"caf\xe9"]),
        Raises(ValueError, "Document 1 is bytes that are not valid UTF-8"),
    ),
    "tokenizer-utf8-bytes-decoded": (
        lambda tmp: TextTokenizer().fit(["good"]).transform([b"good", "good"]),
        Gives(lambda out: np.array_equal(out[0], out[1]), "bytes read as UTF-8 text"),
    ),
    "tokenizer-empty-collection": (
        lambda tmp: TextTokenizer().fit([]),
        Raises(ValueError, "Expected at least one document; got an empty collection"),
    ),
    "tokenizer-only-empty-documents": (
        lambda tmp: TextTokenizer().fit(["", "  ", "?!"]),
        Raises(ValueError, "Empty vocabulary"),
    ),
    "tokenizer-document-empty-after-tokenizing": (
        lambda tmp: TextTokenizer().fit(DOCS).transform(["?!", ""]),
        Gives(lambda out: [len(s) for s in out] == [0, 0], "empty sequences, kept in place"),
    ),
    "tokenizer-2d-array": (
        lambda tmp: TextTokenizer().fit(np.array([["a", "b"], ["c", "d"]])),
        Raises(ValueError, r"1-D collection of documents; got an array of shape \(2, 2\)"),
    ),
    "tokenizer-dataframe-two-columns": (
        lambda tmp: TextTokenizer().fit(pd.DataFrame({"a": ["x"], "b": ["y"]})),
        Raises(ValueError, r"one text column; got a DataFrame with 2 columns \(\['a', 'b'\]\)"),
    ),
    "tokenizer-series-non-default-index": (
        lambda tmp: (
            TextTokenizer().fit(DOCS).transform(pd.Series(["good film", "bad"], index=[10, 3]))
        ),
        Gives(lambda out: [len(s) for s in out] == [2, 1], "values in order, index ignored"),
    ),
    "tokenizer-one-column-dataframe": (
        lambda tmp: TextTokenizer().fit_transform(pd.DataFrame({"text": ["good film", "bad"]})),
        Gives(lambda out: len(out) == 2, "the column is the documents"),
    ),
    "tokenizer-unicode-emoji-rtl-combining-control": (
        lambda tmp: (
            TextTokenizer(strip_accents="unicode")
            .fit(["café 😀 שלום مرحبا", "cafe\u0301\x00 bad"])
            .get_vocabulary()[4:]
        ),
        Gives(
            lambda vocab: set(vocab) == {"cafe", "שלום", "مرحبا", "bad"},
            "combining accent == precomposed; RTL words kept; emoji/control not word tokens",
        ),
    ),
    "tokenizer-char-level-emoji": (
        lambda tmp: TextTokenizer(analyzer="char").fit(["a😀b"]).get_vocabulary()[4:],
        Gives(lambda vocab: "😀" in vocab, "an emoji is one character token"),
    ),
    "tokenizer-very-long-document": (
        lambda tmp: TextTokenizer().fit(DOCS).transform([" ".join(["good"] * 200_000)]),
        Gives(lambda out: len(out[0]) == 200_000, "no silent truncation"),
    ),
    "tokenizer-not-fitted": (
        lambda tmp: TextTokenizer().transform(["good"]),
        Raises(NotFittedError, "not fitted yet"),
    ),
    "tokenizer-analyzer-returns-string": (
        lambda tmp: TextTokenizer(analyzer=lambda doc: doc).fit(["good"]),
        Raises(TypeError, "The analyzer returned str for document 0"),
    ),
    "tokenizer-max-tokens-below-reserved": (
        lambda tmp: TextTokenizer(max_tokens=3).fit(DOCS),
        Raises(ValueError, "'max_tokens' parameter"),
    ),
    # -- NGramVectorizer --------------------------------------------------------
    "ngrams-single-string": (
        lambda tmp: NGramVectorizer().fit("good film"),
        Raises(TypeError, "string object received"),
    ),
    "ngrams-missing-document": (
        lambda tmp: NGramVectorizer().fit(["good", None]),
        Raises(ValueError, "Document 1 is missing"),
    ),
    "ngrams-negative-ids": (
        lambda tmp: NGramVectorizer().fit(ids([4, 5], [-1, 4])),
        Raises(ValueError, "Token ids must be >= 0; sequence 1 holds -1"),
    ),
    "ngrams-bad-range": (
        lambda tmp: NGramVectorizer(ngram_range=(2, 1)).fit(DOCS),
        Raises(ValueError, "ngram_range"),
    ),
    # -- HashingOneHot -----------------------------------------------------------
    "hashing-missing-document": (
        lambda tmp: HashingOneHot().fit_transform(["good", None]),
        Raises(ValueError, "Document 1 is missing"),
    ),
    "hashing-zero-features": (
        lambda tmp: HashingOneHot(n_features=0).fit(DOCS),
        Raises(ValueError, "'n_features' parameter"),
    ),
    "hashing-single-string": (
        lambda tmp: HashingOneHot().fit_transform("good"),
        Raises(TypeError, "string object received"),
    ),
    "hashing-empty-document": (
        lambda tmp: HashingOneHot().fit_transform(["", "good"]),
        Gives(lambda out: [len(s) for s in out] == [0, 1], "an empty id sequence, kept"),
    ),
    # -- SequencePadder ----------------------------------------------------------
    "padder-nan": (
        lambda tmp: SequencePadder().fit_transform(np.array([[[1.0], [np.nan]]])),
        Raises(ValueError, "Sequence 0 holds NaN or infinite values"),
    ),
    "padder-inf-in-ragged": (
        lambda tmp: SequencePadder().fit_transform(
            as_ragged([np.ones(3), np.array([1.0, np.inf])])
        ),
        Raises(ValueError, "Sequence 1 holds NaN or infinite values"),
    ),
    "padder-4d": (
        lambda tmp: SequencePadder().fit_transform(np.zeros((2, 2, 2, 2))),
        Raises(ValueError, "got 4-D"),
    ),
    "padder-zero-maxlen": (
        lambda tmp: SequencePadder(maxlen=0).fit(IDS),
        Raises(ValueError, "'maxlen' parameter"),
    ),
    "padder-raw-text": (
        lambda tmp: SequencePadder().fit(["good film"]),
        Raises(TypeError, "Sequence 0 is str, not a sequence of token ids"),
    ),
    "padder-zero-length-sequence": (
        lambda tmp: SequencePadder(maxlen=3).fit_transform(ids([4, 5], [])),
        Gives(lambda out: out[1].tolist() == [0, 0, 0], "a row of padding"),
    ),
    "padder-ragged-feature-widths": (
        lambda tmp: SequencePadder().fit_transform(as_ragged([np.ones((2, 3)), np.ones((2, 2))])),
        Raises(ValueError, "sequence 1 has 2, sequence 0 has 3"),
    ),
    "padder-read-only-memmap": (
        lambda tmp: _memmap_roundtrip(tmp),
        Gives(lambda ok: ok, "read-only memory-mapped ids padded like in-memory ones"),
    ),
    # -- PretrainedEmbedding -----------------------------------------------------
    "vectors-ragged-rows": (
        lambda tmp: PretrainedEmbedding(
            vectors=write(tmp, "v.txt", b"good 1 0\nbad 0 1\nfilm 1\n")
        ).fit(DOCS),
        Raises(ValueError, "line 3 has 1 values; expected 2"),
    ),
    "vectors-non-utf8": (
        lambda tmp: PretrainedEmbedding(
            vectors=write(tmp, "v.txt", b"good 1 0\ncaf\xe9 0 1\n")
        ).fit(DOCS),
        Raises(ValueError, "line 2 is not valid UTF-8"),
    ),
    "vectors-not-numbers": (
        lambda tmp: PretrainedEmbedding(vectors=write(tmp, "v.txt", b"good 1 x\n")).fit(DOCS),
        Raises(ValueError, "a vector holds a value that is not a number"),
    ),
    "vectors-word2vec-bad-header": (
        lambda tmp: PretrainedEmbedding(
            vectors=write(tmp, "v.bin", b"two words\ngood " + struct.pack("<2f", 1, 0))
        ).fit(DOCS),
        Raises(ValueError, "the first line must be 'n_words dim'"),
    ),
    "vectors-word2vec-truncated": (
        lambda tmp: PretrainedEmbedding(
            vectors=write(tmp, "v.bin", b"2 2\ngood " + struct.pack("<2f", 1, 0) + b"bad \x00")
        ).fit(DOCS),
        Raises(ValueError, "truncated after 1 of 2 vectors"),
    ),
    "vectors-truncated-gzip": (
        lambda tmp: PretrainedEmbedding(
            vectors=write(tmp, "v.txt.gz", gzip.compress(b"good 1 0\nbad 0 1\n" * 50)[:40])
        ).fit(DOCS),
        Raises(ValueError, "corrupted or truncated"),
    ),
    "vectors-missing-file": (
        lambda tmp: PretrainedEmbedding(vectors=str(tmp / "nope.txt")).fit(DOCS),
        Raises(FileNotFoundError, "No vector file at"),
    ),
    "vectors-no-overlap": (
        lambda tmp: PretrainedEmbedding(vectors={"zebra": [1.0, 2.0]}).fit(DOCS),
        Raises(ValueError, "None of the vocabulary's tokens has a pretrained vector"),
    ),
    "vectors-wrong-type": (
        lambda tmp: PretrainedEmbedding(vectors=3).fit(DOCS),
        Raises((TypeError, ValueError), "vectors"),
    ),
    "vectors-ragged-mapping": (
        lambda tmp: PretrainedEmbedding(vectors={"good": [1.0, 0.0], "bad": [1.0]}).fit(DOCS),
        Raises(ValueError, r"The vector of 'bad' has shape \(1,\); expected \(2,\)"),
    ),
    "vectors-empty-mapping": (
        lambda tmp: PretrainedEmbedding(vectors={}).fit(DOCS),
        Raises(ValueError, "The mapping of word vectors is empty"),
    ),
    # -- RNNClassifier -----------------------------------------------------------
    "classifier-raw-text": (
        lambda tmp: clf().fit(DOCS, LABELS),
        Raises(TypeError, "Got raw text; RNN estimators take token-id or numeric sequences"),
    ),
    "classifier-single-string": (
        lambda tmp: clf().fit("good", [1]),
        Raises(TypeError, "got a single string"),
    ),
    "classifier-one-class": (
        lambda tmp: clf().fit(IDS, [1] * 6),
        Raises(ValueError, r"at least two classes in y; got 1 class \(1\)"),
    ),
    "classifier-x-y-lengths": (
        lambda tmp: clf().fit(IDS, ID_LABELS[:4]),
        Raises(ValueError, "X holds 6 sequences but y holds 4 labels"),
    ),
    "classifier-zero-length-sequence": (
        lambda tmp: clf().fit(ids([4, 5], [], [6]), [0, 1, 0]).predict(ids([], [4])),
        Gives(lambda out: len(out) == 2, "a prediction for the empty sequence too (as BoW)"),
    ),
    "classifier-negative-id": (
        lambda tmp: clf().fit(ids([4, 5], [-2]), [0, 1]),
        Raises(ValueError, "Token ids must be >= 0; sequence 1 holds -2"),
    ),
    "classifier-float-ids-in-ragged-int-batch": (
        lambda tmp: clf().fit(as_ragged([np.array([4, 5]), np.array([1.5, 2.0])]), [0, 1]),
        Raises((TypeError, ValueError), "Sequence 1"),
    ),
    "classifier-empty-data": (
        lambda tmp: clf().fit(as_ragged([]), []),
        Raises(ValueError, "empty batch"),
    ),
    "classifier-one-sample": (
        lambda tmp: clf().fit(ids([4, 5]), [1]),
        Raises(ValueError, "at least two classes"),
    ),
    "classifier-fewer-samples-than-batch": (
        lambda tmp: clf(batch_size=64, early_stopping=False).fit(IDS, ID_LABELS).predict(IDS),
        Gives(lambda pred: len(pred) == 6, "one short batch"),
    ),
    "classifier-two-samples-with-early-stopping": (
        lambda tmp: clf().fit(ids([4, 5], [6]), [0, 1]).predict(ids([4])),
        Gives(lambda pred: len(pred) == 1, "validation split of one sample, no crash"),
    ),
    "classifier-unseen-label-in-partial-fit": (
        lambda tmp: clf().fit(IDS, ID_LABELS).partial_fit(IDS[:2], [0, 7]),
        Raises(ValueError, r"labels not seen in the first fit: \[7\]"),
    ),
    "classifier-nan-label": (
        lambda tmp: clf().fit(IDS, [0, 1, 0, np.nan, 0, 1]),
        Raises(ValueError, "[Ll]abel|NaN"),
    ),
    "classifier-multilabel-y": (
        lambda tmp: clf().fit(IDS, np.eye(6, 2, dtype=int)).predict(IDS),
        Gives(lambda pred: pred.shape == (6, 2), "an indicator y is multi-label, as in sklearn"),
    ),
    "classifier-2d-y-not-an-indicator": (
        lambda tmp: clf().fit(IDS, np.arange(12).reshape(6, 2)),
        Raises(ValueError, "A 2-D y must be a binary indicator matrix"),
    ),
    "classifier-out-of-vocabulary-ids-at-predict": (
        lambda tmp: clf().fit(IDS, ID_LABELS).predict(ids([4, 10_000, 99])),
        Gives(lambda pred: len(pred) == 1, "unseen ids read as out-of-vocabulary"),
    ),
    "classifier-3d-int-array": (
        lambda tmp: clf().fit(np.ones((2, 3, 4), dtype=np.int64), [0, 1]),
        Raises(ValueError, "1-D ragged or 2-D padded; got 3-D"),
    ),
    "classifier-sparse": (
        lambda tmp: clf().fit(sp.csr_matrix(np.ones((2, 3), dtype=np.int64)), [0, 1]),
        Raises(TypeError, "Sparse input is not supported"),
    ),
    "classifier-bool-ids": (
        lambda tmp: clf().fit(as_ragged([np.array([True, False]), np.array([True])]), [0, 1]),
        Raises(TypeError, "Sequence 0 holds bool values; token ids must be integers"),
    ),
    "classifier-numeric-wrong-feature-count": (
        lambda tmp: clf().fit(NUMERIC, [0, 1] * 4).predict(np.ones((2, 5, 3), np.float32)),
        Raises(ValueError, "Sequence 0 has 3 features per step; the model was fitted on 2"),
    ),
    "classifier-numeric-nan": (
        lambda tmp: clf().fit(np.where(NUMERIC > 1.5, np.nan, NUMERIC), [0, 1] * 4),
        Raises(ValueError, "holds NaN or infinite values"),
    ),
    "classifier-ids-then-numeric": (
        lambda tmp: clf().fit(IDS, ID_LABELS).predict(NUMERIC),
        Raises(TypeError, "fitted on ids input; got numeric"),
    ),
    # -- LSTMRegressor -----------------------------------------------------------
    "regressor-nan-target": (
        lambda tmp: reg().fit(NUMERIC, np.r_[TARGETS[:7], np.nan]),
        Raises(ValueError, "NaN"),
    ),
    "regressor-inf-input": (
        lambda tmp: reg().fit(np.where(NUMERIC > 1.5, np.inf, NUMERIC), TARGETS),
        Raises(ValueError, "holds NaN or infinite values"),
    ),
    "regressor-1d-input": (
        lambda tmp: reg().fit(np.arange(8.0), TARGETS),
        Raises(ValueError, "got 1-D"),
    ),
    "regressor-x-y-lengths": (
        lambda tmp: reg().fit(NUMERIC, TARGETS[:5]),
        Raises(ValueError, "8.*5|5.*8"),
    ),
    "regressor-raw-text": (
        lambda tmp: reg().fit(DOCS[:8], TARGETS),
        Raises(TypeError, "Got raw text"),
    ),
    "regressor-string-targets": (
        lambda tmp: reg().fit(NUMERIC, ["a"] * 8),
        Raises((TypeError, ValueError), "[Tt]arget|y|numeric|float"),
    ),
    "regressor-2d-input-is-one-feature-per-step": (
        lambda tmp: reg().fit(NUMERIC[..., 0], TARGETS).predict(NUMERIC[:2, :, 0]),
        Gives(lambda pred: pred.shape == (2,), "(n, timesteps) read as one feature per step"),
    ),
    # -- Seq2SeqEstimator --------------------------------------------------------
    "seq2seq-x-y-lengths": (
        lambda tmp: s2s().fit(["ab", "cd"], ["ba"]),
        Raises(ValueError, "X holds 2 sources but Y holds 1 targets"),
    ),
    "seq2seq-empty-source": (
        lambda tmp: s2s().fit(["ab", " "], ["ba", "x"]),
        Raises(ValueError, r"empty \(first at index 1\)"),
    ),
    "seq2seq-missing-target": (
        lambda tmp: s2s().fit(["ab", "cd"], ["ba", None]),
        Raises(ValueError, "Document 1 is missing"),
    ),
    "seq2seq-reserved-target-id": (
        lambda tmp: s2s().fit(ids([4], [5]), ids([4, 2], [5])),
        Raises(ValueError, "Target 0 holds the reserved id 2"),
    ),
    "seq2seq-target-too-long": (
        lambda tmp: s2s(max_output_length=2).fit(["a b", "c"], ["a b c", "d"]),
        Raises(ValueError, "longer than max_output_length=2"),
    ),
    "seq2seq-numpy-string-arrays": (
        lambda tmp: (
            s2s()
            .fit(np.array(["a b", "c d"] * 4), np.array(["b a", "d c"] * 4))
            .predict(np.array(["a b"]))
        ),
        Gives(lambda pred: isinstance(pred[0], str), "str arrays are text, like lists"),
    ),
    "seq2seq-unknown-words-at-predict": (
        lambda tmp: s2s().fit(["a b", "c d"] * 4, ["b a", "d c"] * 4).predict(["zz 😀 b"]),
        Gives(lambda pred: len(pred) == 1 and isinstance(pred[0], str), "read as <unk>"),
    ),
    # -- sample and class weights (scikit-learn's rules) ---------------------------
    "classifier-negative-sample-weight": (
        lambda tmp: clf().fit(IDS, ID_LABELS, sample_weight=[1, -1, 1, 1, 1, 1]),
        Raises(ValueError, "Negative values in data passed to `sample_weight`"),
    ),
    "classifier-nan-sample-weight": (
        lambda tmp: clf().fit(IDS, ID_LABELS, sample_weight=[1, np.nan, 1, 1, 1, 1]),
        Raises(ValueError, "sample_weight contains NaN"),
    ),
    "classifier-zero-sample-weights": (
        lambda tmp: clf().fit(IDS, ID_LABELS, sample_weight=np.zeros(6)),
        Raises(ValueError, "non-zero|zero for every sample"),
    ),
    "classifier-class-weight-unknown-class": (
        lambda tmp: clf(class_weight={7: 2.0}).fit(IDS, ID_LABELS),
        Raises(ValueError, r"not in class_weight"),
    ),
    "classifier-class-weight-negative": (
        lambda tmp: clf(class_weight={0: -1.0, 1: 1.0}).fit(IDS, ID_LABELS),
        Raises(ValueError, "class_weight must be finite and non-negative"),
    ),
    "regressor-negative-sample-weight": (
        lambda tmp: reg().fit(NUMERIC, TARGETS, sample_weight=-np.ones(8)),
        Raises(ValueError, "Negative values in data passed to `sample_weight`"),
    ),
    "hashing-reversed-ngram-range": (
        lambda tmp: HashingOneHot(ngram_range=(2, 1)).fit(DOCS),
        Raises(ValueError, r"ngram_range must be \(min_n, max_n\) with 1 <= min_n <= max_n"),
    ),
    "classifier-dict-input": (
        lambda tmp: clf().fit({"a": [4, 5]}, [0]),
        Raises(TypeError, "X is a dict; pass a sequence of sequences"),
    ),
    "padder-set-input": (
        lambda tmp: SequencePadder().fit({1, 2}),
        Raises(TypeError, "X is a set; pass a sequence of sequences"),
    ),
    # -- RNNTagger -----------------------------------------------------------------
    "tagger-x-y-lengths": (
        lambda tmp: tag().fit(WORDS, TAGS[:1]),
        Raises(ValueError, "X holds 2 sequences but y holds 1 label sequences"),
    ),
    "tagger-steps-and-labels": (
        lambda tmp: tag().fit(WORDS, [["D"], ["V"]]),
        Raises(ValueError, "Sequence 0 has 2 steps but 1 labels"),
    ),
    "tagger-missing-word": (
        lambda tmp: tag().fit([["the", None], ["runs"]], TAGS),
        Raises(TypeError, "Sequence 0 holds NoneType None at step 1"),
    ),
    "tagger-missing-label": (
        lambda tmp: tag().fit(WORDS, [["D", np.nan], ["V"]]),
        Raises(ValueError, r"y\[0\] has no label at step 1"),
    ),
    "tagger-one-label": (
        lambda tmp: tag().fit(WORDS, [["D", "D"], ["D"]]),
        Raises(ValueError, "a tagger needs at least two"),
    ),
    "tagger-a-sentence-as-one-string": (
        lambda tmp: tag().fit("the dog runs", TAGS),
        Raises(TypeError, "single string"),
    ),
    "tagger-unseen-label-in-score": (
        lambda tmp: tag().fit(WORDS * 4, TAGS * 4).score(WORDS, [["D", "X"], ["V"]]),
        Gives(lambda acc: acc <= 2 / 3, "a label never seen in fit is a wrong step, as in sklearn"),
    ),
    "tagger-predict-before-fit": (
        lambda tmp: tag().predict(WORDS),
        Raises(NotFittedError, "not fitted"),
    ),
    "tagger-empty-sentence": (
        lambda tmp: tag().fit(WORDS * 4, TAGS * 4).predict([[], ["the", "dog"]]),
        Gives(lambda pred: [len(p) for p in pred] == [0, 2], "an empty sentence, no tags"),
    ),
    "tagger-unknown-words": (
        lambda tmp: tag().fit(WORDS * 4, TAGS * 4).predict([["zzz", "😀"]]),
        Gives(lambda pred: len(pred[0]) == 2, "unseen words still tagged"),
    ),
    # -- time series: windows, splits, scaling, backtest -----------------------------
    "windows-too-short": (
        lambda tmp: make_windows(np.arange(5.0), lookback=10),
        Raises(ValueError, "lookback \\+ horizon = 11 steps, but the series has only 5"),
    ),
    "windows-nan": (
        lambda tmp: make_windows(np.array([1.0, np.nan, 3.0, 4.0]), lookback=2),
        Raises(ValueError, r"NaN or infinite values \(first at step 1\)"),
    ),
    "windows-text": (
        lambda tmp: make_windows(["a", "b", "c"], lookback=1),
        Raises(ValueError, "series must hold numbers"),
    ),
    "windows-zero-horizon": (
        lambda tmp: make_windows(np.arange(10.0), lookback=2, horizon=0),
        Raises(ValueError, "horizon must be an integer >= 1"),
    ),
    "windows-covariates-length": (
        lambda tmp: make_windows(np.arange(10.0), lookback=2, future_covariates=np.ones(5)),
        Raises(ValueError, r"future_covariates has shape \(5, 1\); expected \(10, 1\)"),
    ),
    "windows-target-out-of-range": (
        lambda tmp: make_windows(np.ones((10, 2)), lookback=2, target=5),
        Raises(ValueError, "target"),
    ),
    "windows-scaler-nan": (
        lambda tmp: SequenceScaler().fit(np.array([[[1.0], [np.nan]]])),
        Raises(ValueError, "Sequence 0 holds NaN or infinite values"),
    ),
    "windows-split-too-many-folds": (
        lambda tmp: list(RollingOriginSplit(n_splits=5, test_size=5).split(np.zeros((10, 1)))),
        Raises(ValueError, "Too many splits=5 for number of samples=10"),
    ),
    "backtest-zero-season": (
        lambda tmp: backtest(np.arange(100.0), lookback=4, season=0),
        Raises(ValueError, "season must be an integer >= 1"),
    ),
    "backtest-not-an-estimator": (
        lambda tmp: backtest(np.arange(100.0), {"x": 3}, lookback=4),
        Raises(TypeError, r"models\['x'\] is not a scikit-learn estimator"),
    ),
    "backtest-series-too-short": (
        lambda tmp: backtest(np.arange(10.0), lookback=8, horizon=2),
        Raises(ValueError, "cannot make 3 test folds"),
    ),
    # -- data files and metrics --------------------------------------------------------
    "datasets-conllu-not-conllu": (
        lambda tmp: read_conllu(write(tmp, "bad.conllu", b"1\tThe\n")),
        Raises(ValueError, "line 1 has 2 tab-separated fields; a CoNLL-U token line has 10"),
    ),
    "datasets-conllu-missing-file": (
        lambda tmp: read_conllu(str(tmp / "nowhere.conllu")),
        Raises(FileNotFoundError, "nowhere.conllu"),
    ),
    "metrics-tag-lengths": (
        lambda tmp: tag_accuracy_score(TAGS, [["D"], ["V"]]),
        Raises(ValueError, "Sequence 0 has 2 reference tags but 1 predicted"),
    ),
    "metrics-entities-single-string": (
        lambda tmp: entity_f1_score("B-X", "B-X"),
        Raises(TypeError, "not a single string"),
    ),
    # -- compare (Python) ------------------------------------------------------------
    "compare-unknown-scoring": (
        lambda tmp: compare(DOCS, LABELS, DOCS, LABELS, models=["bow-unigram"], scoring="x"),
        Raises(ValueError, "'x' is not a valid scoring value"),
    ),
    "compare-resume-without-output-dir": (
        lambda tmp: compare(DOCS, LABELS, DOCS, LABELS, models=["bow-unigram"], resume=True),
        Raises(ValueError, "resume=True reads the results of an earlier run: give output_dir"),
    ),
    "compare-baseline-name-taken": (
        lambda tmp: compare(DOCS, LABELS, DOCS, LABELS, models=[("majority", _lr())]),
        Raises(ValueError, "'majority' names the baseline"),
    ),
}

WORDS = [["the", "dog"], ["runs"]]
TAGS = [["D", "N"], ["V"]]


def tag(**kw):
    return RNNTagger(
        max_epochs=1, hidden_size=4, embedding_dim=4, num_layers=1, random_state=0, **kw
    )


def _lr():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def _memmap_roundtrip(tmp):
    data = np.array([[0, 4, 5], [6, 7, 8]], dtype=np.int64)
    path = tmp / "ids.npy"
    np.save(path, data)
    mapped = np.load(path, mmap_mode="r")
    assert not mapped.flags.writeable
    a = SequencePadder(maxlen=4).fit_transform(mapped)
    b = SequencePadder(maxlen=4).fit_transform(data)
    c = clf(early_stopping=False).fit(mapped, [0, 1]).predict_proba(mapped)
    d = clf(early_stopping=False).fit(data, [0, 1]).predict_proba(data)
    return np.array_equal(a, b) and np.allclose(c, d)


def test_catalogue_covers_every_public_surface():
    prefixes = {name.split("-")[0] for name in {**CASES, **CLI_CASES}}
    assert prefixes == {
        "tokenizer",
        "ngrams",
        "hashing",
        "padder",
        "vectors",
        "classifier",
        "regressor",
        "seq2seq",
        "tagger",
        "windows",
        "backtest",
        "datasets",
        "metrics",
        "compare",
        "cli",
    }
    assert len(CASES) + len(CLI_CASES) >= 120


@pytest.mark.filterwarnings("ignore:.*outputs reached max_output_length")  # 1-epoch seq2seq
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_catalogue(name, tmp_path):
    action, expected = CASES[name]
    if isinstance(expected, Raises):
        with pytest.raises(expected.error) as info:
            action(tmp_path)
        message = str(info.value)
        assert re.search(expected.match, message), f"{name}: {message!r}"
        # Our own message, not a torch or numpy internal one.
        assert "Traceback" not in message and len(message) < 600
    else:
        result = action(tmp_path)
        assert expected.check(result), f"{name}: expected {expected.what}, got {result!r}"


# -- the command line: one line on stderr, exit status 2 -----------------------------


def _csv(tmp, name="data.csv", **columns):
    frame = pd.DataFrame(columns or {"text": DOCS * 2, "label": LABELS * 2})
    path = tmp / name
    frame.to_csv(path, index=False)
    return str(path)


def _compare(*args):
    return ["compare", *args, "--models", "bow-unigram", "-q"]


CLI_CASES = {
    "cli-missing-file": (
        lambda tmp: _compare("--data", str(tmp / "nowhere.csv")),
        "got '.*nowhere.csv' \\(no such file\\)",
    ),
    "cli-missing-text-column": (
        lambda tmp: _compare("--data", _csv(tmp), "--text-column", "body"),
        "has no text column 'body'; its columns are \\['text', 'label'\\]",
    ),
    "cli-missing-label-column": (
        lambda tmp: _compare("--data", _csv(tmp), "--label-column", "tag"),
        "has no label column 'tag'",
    ),
    "cli-semicolon-file": (
        lambda tmp: _compare("--data", write(tmp, "semi.csv", b"text;label\na;1\nb;0\n")),
        "its separator looks like ';': pass --sep ';'",
    ),
    "cli-ragged-file": (
        lambda tmp: _compare("--data", write(tmp, "r.csv", b"text,label\na,1\nb,0,x,y\n")),
        "is not a CSV file with separator ','.*Expected 2 fields in line 3, saw 4",
    ),
    "cli-empty-file": (
        lambda tmp: _compare("--data", write(tmp, "e.csv", b"")),
        "e.csv is empty",
    ),
    "cli-not-utf8": (
        lambda tmp: _compare("--data", write(tmp, "l.csv", b"text,label\n\xe9t\xe9,1\n")),
        "is not UTF-8 text",
    ),
    "cli-missing-labels": (
        lambda tmp: _compare("--data", _csv(tmp, text=DOCS, label=[1, None] + LABELS[2:])),
        "1 rows have no label \\(rows 2;",
    ),
    "cli-whitespace-texts": (
        lambda tmp: _compare("--data", _csv(tmp, text=["  ", *DOCS[1:]], label=LABELS)),
        "1 rows have no text or only white space \\(rows 1;.*--drop-empty",
    ),
    "cli-numbers-as-text": (
        lambda tmp: _compare("--data", _csv(tmp, text=range(12), label=LABELS)),
        "the text column 'text' holds int64 values, not text",
    ),
    "cli-one-class": (
        lambda tmp: _compare("--data", _csv(tmp, text=DOCS, label=[1] * 12)),
        "the labels hold one class, 1; a classifier needs at least two",
    ),
    "cli-class-too-small-to-split": (
        lambda tmp: _compare("--data", _csv(tmp, text=DOCS, label=[0] * 11 + [1])),
        "needs at least 2 documents of each class; 1 class\\(es\\) have fewer \\(1: 1\\)",
    ),
    "cli-class-too-small-for-cv": (
        lambda tmp: _compare("--data", _csv(tmp), "--cv", "10"),
        "--cv needs at least 10 documents of each class",
    ),
    "cli-cv-one": (
        lambda tmp: _compare("--data", _csv(tmp), "--cv", "1"),
        "--cv must be at least 2; got 1",
    ),
    "cli-test-size": (
        lambda tmp: _compare("--data", _csv(tmp), "--test-size", "1.5"),
        "--test-size must be between 0 and 1; got 1.5",
    ),
    "cli-unknown-model": (
        lambda tmp: ["compare", "--data", _csv(tmp), "--models", "bow-unigram,transformer"],
        "unknown model\\(s\\) \\['transformer'\\]; the named models are",
    ),
    "cli-estimator-spec": (
        lambda tmp: _compare("--data", _csv(tmp), "--estimator", "oops"),
        "--estimator takes NAME=module:attribute; got 'oops'",
    ),
    "cli-estimator-module-missing": (
        lambda tmp: _compare("--data", _csv(tmp), "--estimator", "a=no_such_module:f"),
        "cannot import 'no_such_module'.*a .py file in the current folder",
    ),
    "cli-estimator-attribute-missing": (
        lambda tmp: _compare("--data", _csv(tmp), "--estimator", "a=sklearn.dummy:Nope"),
        "'sklearn.dummy' has no 'Nope'",
    ),
    "cli-estimator-not-an-estimator": (
        lambda tmp: _compare("--data", _csv(tmp), "--estimator", "a=math:pi"),
        "'pi' is neither an estimator nor a function that returns one",
    ),
    "cli-imdb-missing": (
        lambda tmp: _compare("--data", "imdb"),
        "The IMDB data set is not on this machine",
    ),
    "cli-backtest-missing-column": (
        lambda tmp: ["backtest", "--data", _csv(tmp, y=range(50)), "--lookback", "4"],
        "choose the series with --column, one of \\['y'\\]",
    ),
    "cli-backtest-text-values": (
        lambda tmp: [
            "backtest",
            "--data",
            _csv(tmp, y=["1", "x"] * 25),
            "--column",
            "y",
            "--lookback",
            "2",
        ],
        "column 'y' has 25 missing or non-numeric values \\(rows 2, 4, 6",
    ),
    "cli-backtest-missing-covariate": (
        lambda tmp: [
            "backtest",
            "--data",
            _csv(tmp, y=range(50)),
            "--column",
            "y",
            "--lookback",
            "2",
            "--covariates",
            "holiday",
        ],
        "no column 'holiday'",
    ),
    "cli-backtest-too-short": (
        lambda tmp: [
            "backtest",
            "--data",
            _csv(tmp, y=range(8)),
            "--column",
            "y",
            "--lookback",
            "6",
        ],
        "cannot make 3 test folds|no window fits",
    ),
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_command_line_catalogue(name, tmp_path, capsys, monkeypatch):
    from sklearn_rnn.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_RNN_DATA", str(tmp_path / "home"))  # no data, no download
    monkeypatch.setattr("urllib.request.urlopen", _offline)
    build, match = CLI_CASES[name]
    code = main(build(tmp_path))
    err = capsys.readouterr().err
    assert code == 2, f"{name}: exit status {code}; stderr {err!r}"
    command = build(tmp_path)[0]
    assert err.startswith(f"sklearn-rnn {command}: error: ") and err.count("\n") == 1, err
    assert re.search(match, err), f"{name}: {err!r}"


def _offline(*args, **kwargs):
    import urllib.error

    raise urllib.error.URLError("offline (test)")


def test_command_line_debug_shows_the_traceback(tmp_path):
    from sklearn_rnn.__main__ import main

    with pytest.raises(FileNotFoundError, match="no such file"):
        main(["compare", "--data", str(tmp_path / "nowhere.csv"), "--debug"])


def test_command_line_imports_an_estimator_from_the_current_folder(tmp_path, monkeypatch, capsys):
    import sys

    from sklearn_rnn.__main__ import main

    (tmp_path / "here_module.py").write_text(
        "from sklearn.dummy import DummyClassifier\n\ndef make():\n    return DummyClassifier()\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "here_module", raising=False)
    argv = ["compare", "--data", _csv(tmp_path), "--models", "bow-unigram", "-q"]
    argv += ["--estimator", "mine=here_module:make", "--output-dir", str(tmp_path / "out")]
    assert main(argv) == 0
    # Warnings are one line each on the command line.
    assert "sklearn-rnn compare: warning: mine scores 0.5000, no better" in capsys.readouterr().err
    assert "mine" in pd.read_csv(tmp_path / "out" / "results.csv")["model"].tolist()


def test_command_line_help_and_version_do_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys\nfrom sklearn_rnn.__main__ import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"] and "sklearn-rnn" in out.stdout
    help_text = subprocess.run(
        [sys.executable, "-m", "sklearn_rnn", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "(default: imdb)" in help_text and "``" not in help_text
    assert "--resume" in help_text and "--sep" in help_text
