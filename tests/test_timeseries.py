import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


def test_make_windows_of_several_series_align_them_at_their_ends():
    long, short = np.arange(10.0), 100 + np.arange(6.0)
    X, y, index = make_windows([long, short], lookback=3, horizon=2, return_index=True)
    # 6 windows of the long series, 2 of the short one, in the order of their times.
    assert X.shape == (8, 3, 1) and y.shape == (8, 2) and len(index) == 8
    assert index["time"].is_monotonic_increasing
    assert index.groupby("series").size().to_dict() == {0: 6, 1: 2}
    # The short series' first window forecasts its step 3, which is step 7 of the long one.
    first_short = index.index[index["series"] == 1][0]
    assert index.loc[first_short, ["origin", "time"]].tolist() == [3, 7]
    np.testing.assert_array_equal(X[first_short, :, 0], [100, 101, 102])
    np.testing.assert_array_equal(y[first_short], [103, 104])
    # Every window's inputs and targets come from its own series, at its origin.
    for (_, row), window, target in zip(index.iterrows(), X, y):
        s = [long, short][row["series"]]
        np.testing.assert_array_equal(window[:, 0], s[row["origin"] - 3 : row["origin"]])
        np.testing.assert_array_equal(target, s[row["origin"] : row["origin"] + 2])
    # One series: the index is the windows' origins, and the windows are unchanged.
    X1, y1, index1 = make_windows(long, lookback=3, horizon=2, return_index=True)
    np.testing.assert_array_equal(index1["origin"], np.arange(3, 9))
    np.testing.assert_array_equal(X1, make_windows(long, lookback=3, horizon=2)[0])


def test_make_windows_puts_future_covariates_beside_the_values_they_forecast():
    series = np.arange(12.0)
    calendar = np.c_[np.arange(12.0) % 4, 10 * np.arange(12.0)]
    X, y = make_windows(series, lookback=5, horizon=3, future_covariates=calendar)
    assert X.shape == (5, 5, 3)
    # The last `horizon` steps of each window hold the covariates of its targets' steps.
    for window, target in zip(X, y):
        np.testing.assert_array_equal(window[-3:, 2], 10 * target)
        np.testing.assert_array_equal(window[:, 0] + 3, window[:, 2] / 10)
    # Covariates are never targets.
    np.testing.assert_array_equal(y, make_windows(series, lookback=5, horizon=3)[1])


@pytest.mark.parametrize(
    "series, kwargs, match",
    [
        ([np.ones(8), np.ones((8, 2))], {}, r"series\[1\] has 2 features per step; series\[0\]"),
        ([np.ones(8), np.array([1.0, np.nan, 1.0])], {}, r"series\[1\] holds NaN .* step 1\)"),
        ([np.ones(2), np.ones(2)], {}, "the longest series has only 2: no window fits"),
        (np.ones(8), {"target": 2}, "target column 2 is not among the 1 feature"),
        (np.ones(8), {"future_covariates": np.ones(7)}, r"has shape \(7, 1\); expected \(8, 1\)"),
        (np.ones(8), {"future_covariates": [np.ones(8)]}, "future_covariates must match series"),
        ([np.ones(8)] * 2, {"future_covariates": np.ones(8)}, "a list of 2 arrays"),
        (np.ones(8), {"future_covariates": [[1.0]] * 7 + [[np.inf]]}, "first at step 7"),
    ],
)
def test_make_windows_bad_series_and_covariates(series, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(series, lookback=2, **kwargs)


def test_rolling_origin_split_splits_several_series_by_time():
    from sklearn.model_selection import TimeSeriesSplit

    from sklearn_rnn import RollingOriginSplit

    X, _, index = make_windows(
        [np.arange(40.0), np.arange(30.0), np.arange(35.0)], lookback=4, return_index=True
    )
    times = index["time"].to_numpy()
    cv = RollingOriginSplit(n_splits=3, horizon=3, test_size=5, max_train_size=12)
    folds = list(cv.split(X, groups=times))
    assert len(folds) == cv.get_n_splits() == 3
    for train, test in folds:
        # Whole time steps: every series' window of a test time is in the test fold.
        assert set(np.flatnonzero(np.isin(times, times[test]))) == set(test)
        assert len(np.unique(times[test])) == 5 and len(np.unique(times[train])) <= 12
        # The gap: the last training window's targets (3 steps) end before the test period.
        assert times[train].max() + 3 <= times[test].min()
    # Without groups it is TimeSeriesSplit(gap=horizon - 1) over the windows.
    plain = RollingOriginSplit(n_splits=3, horizon=3, test_size=5).split(X)
    reference = TimeSeriesSplit(n_splits=3, test_size=5, gap=2).split(X)
    for (a, b), (c, d) in zip(plain, reference):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    with pytest.raises(ValueError, match="groups holds 3 times for 93 windows"):
        next(cv.split(X, groups=[1, 2, 3]))
    with pytest.raises(ValueError, match="'horizon' parameter"):
        next(RollingOriginSplit(horizon=0).split(X))


def test_rolling_origin_split_in_grid_search_with_groups():
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_rnn import RollingOriginSplit

    t = np.arange(60.0)
    X, y, index = make_windows(
        [np.sin(t / 3), np.cos(t / 3)], lookback=6, horizon=2, return_index=True
    )
    model = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge())
    cv = RollingOriginSplit(n_splits=2, horizon=2)
    scores = cross_val_score(model, X, y, cv=cv, groups=index["time"])
    assert len(scores) == 2 and scores.min() > 0.9
    search = GridSearchCV(model, {"ridge__alpha": [1e-3, 1e3]}, cv=cv)
    search.fit(X, y, groups=index["time"])
    assert search.best_params_ == {"ridge__alpha": 1e-3}


def test_make_windows_reads_nested_lists_as_one_series_and_arrays_as_several():
    rows = [[float(i), -float(i)] for i in range(6)]
    X, _ = make_windows(rows, lookback=2)
    assert X.shape == (4, 2, 2)
    X, _ = make_windows([np.array(r) for r in rows], lookback=1)
    assert X.shape == (6, 1, 1)  # six series of two steps


def test_forecast_windows_are_the_windows_make_windows_would_cut_next():
    from sklearn_rnn import forecast_windows

    rng = np.random.default_rng(0)
    series = [rng.normal(size=(30, 2)), rng.normal(size=(25, 2))]
    calendar = [rng.normal(size=(30, 3)), rng.normal(size=(25, 3))]
    X, _, index = make_windows(
        series, lookback=6, horizon=4, future_covariates=calendar, return_index=True
    )
    # Forecasting the last 4 steps from the series without them is the last training window.
    future = forecast_windows(
        [s[:-4] for s in series], lookback=6, horizon=4, future_covariates=calendar
    )
    assert future.shape == (2, 6, 5)
    for i in range(2):
        last = index.index[index["series"] == i][-1]
        np.testing.assert_array_equal(future[i], X[last])
    np.testing.assert_array_equal(forecast_windows(np.arange(5.0), lookback=2)[0, :, 0], [3.0, 4.0])
    with pytest.raises(
        ValueError,
        match=r"expected \(34, 3\): one row per step of the series "
        "and of the 4 steps to forecast",
    ):
        forecast_windows(series[0], lookback=6, horizon=4, future_covariates=calendar[0])
    with pytest.raises(ValueError, match=r"series\[1\] has 25 steps, fewer than lookback=26"):
        forecast_windows(series, lookback=26)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=40),
    st.integers(1, 5),
    st.integers(1, 3),
)
def test_windows_property_each_window_is_the_series_slice_before_its_target(values, lookback, h):
    series = np.array(values, dtype=np.float32)  # windows are float32 by the data contract
    if len(series) < lookback + h:
        with pytest.raises(ValueError, match="no window fits"):
            make_windows(series, lookback=lookback, horizon=h)
        return
    X, y = make_windows(series, lookback=lookback, horizon=h)
    assert len(X) == len(series) - lookback - h + 1
    for i in range(len(X)):
        np.testing.assert_array_equal(X[i, :, 0], series[i : i + lookback])
        np.testing.assert_array_equal(np.ravel(y[i]), series[i + lookback : i + lookback + h])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=30), st.floats(-1e4, 1e4))
@example(values=[0.0, 1.401298464324817e-45], shift=0.0)  # a spread below float32's normals
def test_scaler_property_inverse_transform_undoes_transform(values, shift):
    X = np.array(values, dtype=np.float32).reshape(1, -1, 1) + np.float32(shift)
    scaler = SequenceScaler().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    np.testing.assert_allclose(back, X, rtol=1e-4, atol=1e-2)
