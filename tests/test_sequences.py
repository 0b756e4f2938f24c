import os

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import SequencePadder, TokenSequences, pad_sequences
from sklearn_rnn._sequences import as_ragged, check_id_sequences, input_kind

RAGGED = [np.array([5, 6, 7, 8]), np.array([9]), np.array([], dtype=np.int64), np.array([4, 4])]


def _keras_pad_sequences():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    return keras.utils.pad_sequences


@pytest.mark.parametrize("maxlen", [None, 1, 2, 3, 6])
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("value", [0, -1])
def test_pad_sequences_matches_keras(maxlen, padding, truncating, value):
    keras_pad = _keras_pad_sequences()
    kwargs = dict(maxlen=maxlen, padding=padding, truncating=truncating, value=value)
    expected = keras_pad([s.tolist() for s in RAGGED], dtype="int64", **kwargs)
    np.testing.assert_array_equal(pad_sequences(RAGGED, **kwargs), expected)
    np.testing.assert_array_equal(
        SequencePadder(maxlen=maxlen, padding=padding, truncating=truncating, value=value)
        .fit(RAGGED)
        .transform(RAGGED),
        expected,
    )


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_of_vectors_matches_keras(padding, truncating):
    keras_pad = _keras_pad_sequences()
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 3)).astype(np.float32) for n in (5, 2, 1)]
    kwargs = dict(maxlen=3, padding=padding, truncating=truncating, value=0.0)
    expected = keras_pad(seqs, dtype="float32", **kwargs)
    np.testing.assert_allclose(pad_sequences(seqs, **kwargs), expected)


def test_pad_sequences_rejects_zero_maxlen():
    with pytest.raises(ValueError, match="maxlen must be a positive integer"):
        pad_sequences(RAGGED, maxlen=0)


@pytest.mark.parametrize(
    "X, kind",
    [
        (["a film", "another"], "text"),
        (np.array(["a", "b"]), "text"),
        (pd.Series(["a", "b"]), "text"),
        (pd.DataFrame({"text": ["a", "b"]}), "text"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), "text"),  # the text check names the columns
        ([b"bytes", b"too"], "text"),
        (np.array([[5, 6], [7, 0]]), "ids"),
        (as_ragged([np.array([5, 6]), np.array([7])]), "ids"),
        ([[5, 6], [7]], "ids"),
        (TokenSequences(np.array([[5, 6]]), np.zeros((8, 2))), "ids"),
        (np.zeros((2, 3, 1), dtype=np.float32), "numeric"),
        (np.zeros((2, 3)), "numeric"),
        (as_ragged([np.zeros((2, 1)), np.zeros((3, 1))]), "numeric"),
    ],
)
def test_input_kind_is_decided_once_for_every_form(X, kind):
    assert input_kind(X) == kind


def test_check_id_sequences_strips_padding_of_2d_but_keeps_ragged():
    padded = check_id_sequences(np.array([[0, 5, 6], [7, 0, 0]]))
    assert [s.tolist() for s in padded] == [[5, 6], [7]]
    ragged = check_id_sequences(as_ragged([np.array([5, 0, 6])]))
    assert ragged[0].tolist() == [5, 0, 6]  # a ragged sequence is kept as it is


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("one string", TypeError, "Iterable over token-id sequences expected"),
        ([np.array([1.5])], TypeError, "token ids must be integers"),
        ([np.array([5, -1])], ValueError, "Token ids must be >= 0"),
        ([5, 6], TypeError, "Sequence 0 is a single integer"),
        ([], ValueError, "empty batch"),
    ],
)
def test_check_id_sequences_names_the_problem(X, error, match):
    with pytest.raises(error, match=match):
        check_id_sequences(X)


def test_pad_sequences_round_trips_through_check_id_sequences():
    padded = pad_sequences(RAGGED, padding="post")
    again = check_id_sequences(padded)
    assert [s.tolist() for s in again] == [s.tolist() for s in RAGGED]
    assert SequencePadder(padding="post").fit_transform(RAGGED).shape == padded.shape
