import numpy as np
import pytest

from sklearn_rnn import EOS_ID, OOV_ID, TextTokenizer
from sklearn_rnn._targets import ClassTargets, ScaledTargets, TokenTargets


def test_class_targets_round_trip_string_labels():
    enc = ClassTargets()
    codes = enc.fit_transform(["b", "a", "c", "a"])
    assert codes.tolist() == [1, 0, 2, 0] and enc.n_outputs_ == 3
    logits = np.eye(3)[[2, 0]]
    assert enc.inverse_transform(logits).tolist() == ["c", "a"]
    with pytest.raises(ValueError, match=r"labels not seen in the first fit: \['d'\]"):
        enc.transform(["a", "d"])


def test_class_targets_balanced_weights_are_sklearns():
    enc = ClassTargets("balanced").fit([0, 0, 0, 1])
    np.testing.assert_allclose(enc.class_weight_, [4 / 6, 4 / 2])
    assert ClassTargets().fit([0, 1]).class_weight_ is None


def test_scaled_targets_invert_to_the_original_units():
    y = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    enc = ScaledTargets()
    scaled = enc.fit_transform(y)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(enc.inverse_transform(scaled), y, rtol=1e-6)
    one = ScaledTargets().fit(y[:, 0])
    assert one.inverse_transform(one.transform(y[:, 0])).shape == (3,)
    with pytest.raises(ValueError, match="y has 1 outputs; the model was fitted on 2"):
        enc.transform(y[:, :1])


def test_token_targets_map_unseen_ids_to_oov_and_strip_markers():
    enc = TokenTargets(TextTokenizer())
    Y = [np.array([5, 6]), np.array([7])]
    targets = enc.fit_transform(Y)
    assert enc.kind_ == "ids" and enc.n_tokens_ == 8
    assert enc.max_output_length_ == 2 * 3 + 5
    assert [t.tolist() for t in targets] == [[5, 6], [7]]
    assert enc.transform([np.array([5, 99])])[0].tolist() == [5, OOV_ID]
    decoded = enc.inverse_transform(np.array([[5, EOS_ID, 0], [7, 6, EOS_ID]]))
    assert [d.tolist() for d in decoded] == [[5], [7, 6]]


def test_token_targets_text_round_trip_and_unfinished_warning():
    enc = TokenTargets(TextTokenizer(analyzer="char"), max_output_length=4)
    ids = enc.fit_transform(["ab", "ba"])
    assert enc.kind_ == "text" and enc.tokenizer_.add_markers is False
    rows = np.array([np.append(ids[0], EOS_ID), np.append(ids[1], EOS_ID)])
    assert enc.inverse_transform(rows).tolist() == ["ab", "ba"]
    assert enc.inverse_tokens(rows) == [["a", "b"], ["b", "a"]]
    with pytest.warns(UserWarning, match="1 of 1 outputs reached max_output_length=4"):
        enc.inverse_transform(np.array([[ids[0][0]] * 4]))
