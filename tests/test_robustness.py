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
    Seq2SeqEstimator,
    SequencePadder,
    TextTokenizer,
)
from sklearn_rnn._sequences import as_ragged

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
        lambda tmp: clf().fit(IDS, np.eye(6, 2, dtype=int)),
        Raises(ValueError, "y"),
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
}


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


def test_catalogue_covers_every_public_class_with_forty_cases():
    prefixes = {name.split("-")[0] for name in CASES}
    assert prefixes == {
        "tokenizer",
        "ngrams",
        "hashing",
        "padder",
        "vectors",
        "classifier",
        "regressor",
        "seq2seq",
    }
    assert len(CASES) >= 40


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
