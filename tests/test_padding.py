import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_rnn import SequencePadder, TokenSequences

RAGGED = [np.array([5, 6, 7, 8]), np.array([9]), np.array([], dtype=np.int64), np.array([4, 4])]


def test_padder_maxlen_learned_as_longest_and_quantile():
    lengths = list(range(1, 101))
    seqs = [np.arange(1, n + 1) for n in lengths]
    assert SequencePadder().fit(seqs).maxlen_ == 100
    assert SequencePadder(maxlen=0.9).fit(seqs).maxlen_ == int(np.ceil(np.quantile(lengths, 0.9)))
    assert SequencePadder(maxlen=7).fit(seqs).transform(seqs).shape == (100, 7)


def test_padder_warns_when_it_truncates_unasked():
    padder = SequencePadder().fit([np.array([4, 5])])
    with pytest.warns(UserWarning, match="1 sequence"):
        out = padder.transform([np.array([4, 5, 6])])
    assert out.tolist() == [[5, 6]]


def test_padder_repads_padded_input():
    padded = np.array([[0, 0, 5, 6], [7, 0, 0, 0]])
    out = SequencePadder(padding="post").fit_transform(padded)
    np.testing.assert_array_equal(out, [[5, 6], [7, 0]])


def test_padder_numeric_sequences_to_3d():
    seqs = np.empty(2, dtype=object)
    seqs[0] = np.ones((3, 2))
    seqs[1] = np.ones((1, 2))
    padder = SequencePadder(padding="post").fit(seqs)
    out = padder.transform(seqs)
    assert out.shape == (2, 3, 2) and out.dtype == np.float32
    assert padder.n_features_ == 2
    with pytest.raises(ValueError, match="3 features per step; SequencePadder was fitted on 2"):
        padder.transform([np.ones((2, 3))])


def test_padder_rejects_nan_and_mixed_widths():
    with pytest.raises(ValueError, match="Sequence 1 holds NaN"):
        SequencePadder().fit([np.ones((2, 2)), np.full((2, 2), np.nan)])
    with pytest.raises(ValueError, match="same number of features"):
        SequencePadder().fit([np.ones((2, 2)), np.ones((2, 3))])


def test_padder_keeps_token_sequences_matrix():
    matrix = np.zeros((10, 3), dtype=np.float32)
    out = SequencePadder().fit_transform(TokenSequences(RAGGED_OBJ(), matrix))
    assert isinstance(out, TokenSequences) and out.embedding_matrix is matrix
    assert out.ids.shape == (4, 4)


def RAGGED_OBJ():
    arr = np.empty(len(RAGGED), dtype=object)
    arr[:] = RAGGED
    return arr


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([np.array([4, -2])], ValueError, "sequence 0 holds -2"),
        (["text"], TypeError, "TextTokenizer first"),
        ([], ValueError, "empty batch"),
        (np.zeros((2, 2, 2, 2)), ValueError, "4-D"),
    ],
)
def test_padder_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        SequencePadder().fit(X)


def test_padder_float_sequences_are_numeric_data():
    out = SequencePadder().fit_transform([np.array([1.5, 2.0]), np.array([3.0])])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.5, 2.0], [0.0, 3.0]])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 50), max_size=12), min_size=1, max_size=8),
    st.integers(1, 15),
    st.sampled_from(["pre", "post"]),
    st.sampled_from(["pre", "post"]),
)
def test_padder_property_keeps_the_right_tokens(seqs, maxlen, padding, truncating):
    arrays = [np.array(s, dtype=np.int64) for s in seqs]
    out = SequencePadder(maxlen=maxlen, padding=padding, truncating=truncating).fit_transform(
        arrays
    )
    assert out.shape == (len(seqs), maxlen)
    for row, s in zip(out, seqs):
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        assert row[row != 0].tolist() == kept
        real = np.flatnonzero(row)
        if len(real):  # real tokens are contiguous, on the padding's other side
            assert (real[0] == 0) if padding == "post" else (real[-1] == maxlen - 1)


def test_padder_feature_width_is_n_features_in_():
    # Regression: the width was only stored under a name scikit-learn does not know.
    numeric = SequencePadder().fit(np.zeros((3, 4, 2), dtype=np.float32))
    assert numeric.n_features_in_ == 2 == numeric.n_features_
    assert SequencePadder().fit([np.array([5, 6])]).n_features_in_ is None
