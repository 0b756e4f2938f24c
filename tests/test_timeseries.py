import numpy as np
import pytest

from sklearn_rnn import SequenceScaler, make_windows
from sklearn_rnn._sequences import as_ragged


def test_make_windows_values_and_stride():
    series = np.arange(20.0).reshape(10, 2)
    X, y = make_windows(series, lookback=3, horizon=2, stride=2, target=1)
    assert X.shape == (3, 3, 2) and y.shape == (3, 2)
    np.testing.assert_array_equal(X[1, :, 0], [4, 6, 8])
    np.testing.assert_array_equal(y[1], [11, 13])
    _, y_all = make_windows(series, lookback=3, horizon=2)
    np.testing.assert_array_equal(y_all[0], [6, 7, 8, 9])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lookback=0), "lookback must be an integer >= 1"),
        (dict(lookback=5, horizon=8), "no window fits"),
        (dict(lookback=2, stride=0), "stride must be"),
    ],
)
def test_make_windows_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_make_windows_rejects_nan():
    with pytest.raises(ValueError, match="first at step 3"):
        make_windows([1.0, 2.0, 3.0, np.nan, 5.0], lookback=2)


def test_sequence_scaler_uses_training_statistics_and_keeps_the_form():
    train = np.array([[[0.0], [2.0]], [[4.0], [6.0]]], dtype=np.float32)
    scaler = SequenceScaler().fit(train)
    assert scaler.scaler_.mean_[0] == 3.0
    test = as_ragged([np.array([[3.0]]), np.array([[3.0], [5.0]])])
    out = scaler.transform(test)
    assert out.dtype == object and out[1].shape == (2, 1)
    assert out[0][0, 0] == 0.0
    np.testing.assert_allclose(scaler.inverse_transform(out)[1], test[1])
    with pytest.raises(ValueError, match="2 features per step; SequenceScaler was fitted on 1"):
        scaler.transform(np.ones((1, 2, 2)))


def test_sequence_scaler_feature_names_are_its_input_names():
    # Regression: the fitted width was stored as n_features_, so scikit-learn's
    # get_feature_names_out raised NotFittedError on a fitted scaler.
    X = np.zeros((4, 3, 2), dtype=np.float32)
    scaler = SequenceScaler().fit(X)
    assert scaler.n_features_in_ == 2
    np.testing.assert_array_equal(scaler.get_feature_names_out(), ["x0", "x1"])
    np.testing.assert_array_equal(scaler.get_feature_names_out(["a", "b"]), ["a", "b"])


def test_sequence_scaler_parameters_are_validated():
    with pytest.raises(ValueError, match="'with_mean' parameter"):
        SequenceScaler(with_mean="yes").fit(np.zeros((2, 3, 1)))


def test_make_windows_targets_follow_their_inputs():
    series = np.sin(np.arange(50.0))
    X, y = make_windows(series, lookback=5, horizon=1)
    np.testing.assert_allclose(X[:, -1, 0], series[4:-1], rtol=1e-6)
    np.testing.assert_allclose(y[:, 0], series[5:])
