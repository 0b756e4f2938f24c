import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.metrics import make_scorer, mean_pinball_loss
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import LSTMRegressor, SequencePadder, SequenceScaler, make_windows
from sklearn_rnn._sequences import as_ragged
from sklearn_rnn.metrics import neg_coverage_error_scorer, neg_pinball_loss_scorer
from sklearn_rnn.modules import PinballLoss

FAST = dict(max_epochs=3, hidden_size=8, random_state=0, early_stopping=False)


def _first_value_task(n, rng):
    """y is the first value of a sequence of 4 to 12 steps: memory over a varying delay."""
    seqs = [rng.normal(size=(rng.integers(4, 13), 1)).astype(np.float32) for _ in range(n)]
    return as_ragged(seqs), np.array([s[0, 0] for s in seqs])


def test_lstm_remembers_what_a_linear_model_on_the_same_windows_cannot():
    rng = np.random.default_rng(0)
    X_train, y_train = _first_value_task(500, rng)
    X_test, y_test = _first_value_task(200, rng)
    reg = LSTMRegressor(
        hidden_size=16, lr=1e-2, max_epochs=25, batch_size=16, random_state=0, early_stopping=False
    )
    lstm_r2 = reg.fit(X_train, y_train).score(X_test, y_test)
    pad = SequencePadder(maxlen=12).fit(X_train)
    flat = lambda X: pad.transform(X).reshape(len(X), -1)  # noqa: E731
    ridge_r2 = Ridge().fit(flat(X_train), y_train).score(flat(X_test), y_test)
    assert lstm_r2 > 0.9, lstm_r2
    assert ridge_r2 < 0.5, ridge_r2


def test_predictions_are_in_the_original_units():
    rng = np.random.default_rng(1)
    X, y = _first_value_task(100, rng)
    a = LSTMRegressor(**FAST).fit(X, y).predict(X)
    b = LSTMRegressor(**FAST).fit(X, 1000 * y + 5000).predict(X)
    np.testing.assert_allclose(b, 1000 * a + 5000, rtol=1e-5)


def test_multi_output_shapes():
    X, y = make_windows(np.sin(np.arange(200) / 5), lookback=10, horizon=3)
    reg = LSTMRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == (len(X), 3) and reg.n_outputs_ == 3
    assert LSTMRegressor(**FAST).fit(X, y[:, 0]).predict(X).shape == (len(X),)
    assert reg.transform(X).shape == (len(X), 8)


def test_forecasts_a_sine_several_steps_ahead():
    X, y = make_windows(np.sin(np.arange(400) / 6), lookback=24, horizon=4)
    reg = LSTMRegressor(hidden_size=16, lr=1e-2, max_epochs=15, random_state=0)
    cut = 300
    reg.fit(X[:cut], y[:cut])
    assert reg.score(X[cut:], y[cut:]) > 0.95


def test_determinism_and_pickle_round_trip():
    X, y = _first_value_task(60, np.random.default_rng(2))
    a = LSTMRegressor(**FAST).fit(X, y)
    b = LSTMRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).predict(X), a.predict(X))


def test_sample_weight_zero_ignores_samples():
    X, y = _first_value_task(80, np.random.default_rng(3))
    w = np.ones(len(y))
    w[:20] = 0
    y2, y3 = y.copy(), y.copy()
    y2[:20], y3[:20] = 100.0, -100.0
    # Zero-weight targets reach neither the loss nor the target scaler.
    a = LSTMRegressor(**FAST).fit(X, y2, sample_weight=w).predict(X)
    b = LSTMRegressor(**FAST).fit(X, y3, sample_weight=w).predict(X)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(a, LSTMRegressor(**FAST).fit(X, y2).predict(X))


def test_pipeline_with_scaler_in_time_series_cross_validation():
    series = np.sin(np.arange(300) / 6) * 50 + 200
    X, y = make_windows(series, lookback=12, horizon=2)
    pipe = make_pipeline(SequenceScaler(), LSTMRegressor(**FAST))
    scores = cross_val_score(pipe, X, y, cv=TimeSeriesSplit(n_splits=3, gap=1))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def _trend_windows():
    """A sine on a rising trend: the later windows lie above every training level."""
    t = np.arange(500.0)
    X, y = make_windows(0.05 * t + np.sin(t / 5), lookback=20)
    return X[:350], y[:350, 0], X[350:], y[350:, 0]


def test_default_forecaster_follows_a_trend_beyond_the_training_levels():
    X_train, y_train, X_test, y_test = _trend_windows()
    naive = np.abs(X_test[:, -1, 0] - y_test).mean()
    default = LSTMRegressor(random_state=0).fit(X_train, y_train)
    plain = LSTMRegressor(window_normalization=None, linear_lags=0, random_state=0)
    plain.fit(X_train, y_train)
    assert np.abs(default.predict(X_test) - y_test).mean() < 0.1 * naive
    # Without them the LSTM saturates at the levels it saw in training.
    assert np.abs(plain.predict(X_test) - y_test).mean() > naive


def test_linear_path_starts_at_the_ridge_fit_of_the_recent_steps():
    X_train, y_train, X_test, _ = _trend_windows()
    untrained = LSTMRegressor(lr=1e-12, max_epochs=1, early_stopping=False, linear_lags=6)
    untrained.fit(X_train, y_train)
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    ridge.fit(X_train[:, -6:, 0], y_train)
    np.testing.assert_allclose(
        untrained.predict(X_test), ridge.predict(X_test[:, -6:, 0]), rtol=1e-4
    )
    assert untrained.linear_lags_ == 6
    assert LSTMRegressor(**FAST).fit(X_train, y_train).linear_lags_ == 20  # 'all'


def test_linear_path_and_window_normalization_read_ragged_sequences_at_their_ends():
    rng = np.random.default_rng(5)
    X, y = _first_value_task(60, rng)
    reg = LSTMRegressor(**FAST, window_normalization="mean").fit(X, y)
    assert reg.linear_lags_ == min(len(s) for s in X)
    # Padding a sequence's batch-mates must not change its prediction.
    alone = reg.predict(as_ragged([X[0]]))
    together = reg.predict(as_ragged([X[0], np.ones((30, 1), np.float32)]))[:1]
    np.testing.assert_allclose(alone, together, rtol=1e-5)


def test_token_id_input_ignores_the_forecasting_parameters():
    X = as_ragged([np.array([4, 5, 6]), np.array([7, 8])] * 20)
    reg = LSTMRegressor(**FAST).fit(X, np.arange(40.0))
    assert reg.linear_lags_ is None
    assert reg.net_.module_.linear_lags == 0


@pytest.mark.parametrize(
    "params, X, match",
    [
        (
            dict(linear_lags=5),
            np.ones((4, 3, 1)),
            "linear_lags=5 but the shortest training sequence has 3 steps",
        ),
        (
            dict(linear_lags=0),
            np.ones((4, 3, 1)),
            "window_normalization re-bases each window, so the level must reach",
        ),
        (
            dict(),
            as_ragged([np.ones((3, 1)), np.ones((0, 1))] * 2),
            "Sequence 1 is empty; window_normalization and the linear path",
        ),
    ],
)
def test_forecasting_parameters_bad_input(params, X, match):
    with pytest.raises(ValueError, match=match):
        LSTMRegressor(**FAST, **params).fit(X, np.arange(4.0))


def test_sequences_shorter_than_the_linear_path_at_predict_are_an_error():
    reg = LSTMRegressor(**FAST).fit(np.ones((4, 6, 1), dtype=np.float32), np.arange(4.0))
    with pytest.raises(ValueError, match="1 sequence\\(s\\) are shorter than the 6 steps"):
        reg.predict(np.ones((1, 4, 1), dtype=np.float32))


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones((3, 4, 1)), [1.0, 2.0], "3 sequences but y holds 2"),
        (
            np.ones((2, 4, 1)),
            [1.0, np.nan],
            "y holds NaN or infinite values \\(first at sample 1\\)",
        ),
        (np.array([[[1.0]], [[np.inf]]]), [1.0, 2.0], "Sequence 1 holds NaN"),
        (np.ones((2, 4, 1)), ["a", "b"], "targets must be numbers"),
    ],
)
def test_regressor_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        LSTMRegressor(**FAST).fit(X, y)


def test_regressor_wrong_feature_count_at_predict():
    reg = LSTMRegressor(**FAST).fit(np.ones((4, 3, 2), dtype=np.float32), [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="1 features per step; the model was fitted on 2"):
        reg.predict(np.ones((1, 3, 1), dtype=np.float32))


def test_regressor_on_token_ids_predicts_a_rating():
    rng = np.random.default_rng(4)
    X = as_ragged([rng.integers(4, 10, size=rng.integers(3, 8)) for _ in range(200)])
    y = np.array([float((s == 4).sum()) for s in X])  # count of token 4
    reg = LSTMRegressor(hidden_size=16, lr=1e-2, max_epochs=15, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.9


EXPECTED_FAILURES = {
    "check_n_features_in": "for sequences n_features_in_ is the features per step",
    "check_n_features_in_after_fitting": "another number of steps is valid input",
    "check_dtype_object": "object arrays are ragged batches by the data contract",
    "check_transformer_preserve_dtypes": "representations are float32, torch's default",
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch training: repeating a sample changes the batches, so weights and "
        "repeats agree only in expectation"
    ),
    "check_estimators_empty_data_messages": "zero-step sequences have their own message",
}


@parametrize_with_checks(
    [LSTMRegressor(max_epochs=3, hidden_size=8, random_state=0, early_stopping=False)],
    expected_failed_checks=lambda est: EXPECTED_FAILURES,
)
def test_lstm_regressor_passes_sklearn_checks(estimator, check):
    check(estimator)


def test_gaussian_head_learns_a_spread_that_varies_with_the_window():
    rng = np.random.default_rng(0)
    vol = np.where(rng.random(600) < 0.5, 0.2, 1.0)
    X = (np.cumsum(rng.normal(size=(600, 10)), axis=1) * vol[:, None])[..., None]
    X = X.astype(np.float32)
    y = X[:, -1, 0] + vol * rng.normal(size=600)
    reg = LSTMRegressor(
        loss="gaussian_nll",
        hidden_size=16,
        lr=1e-2,
        max_epochs=30,
        early_stopping=False,
        random_state=0,
    ).fit(X[:400], y[:400])
    pred, std = reg.predict(X[400:], return_std=True)
    assert pred.shape == std.shape == (200,)
    calm, wild = std[vol[400:] == 0.2].mean(), std[vol[400:] == 1.0].mean()
    assert 0.1 < calm < 0.4 and 0.7 < wild < 1.4, (calm, wild)
    np.testing.assert_array_equal(pred, reg.predict(X[400:]))


def test_gaussian_spread_is_in_the_targets_units_and_per_output():
    X, y = make_windows(np.sin(np.arange(200) / 5), lookback=10, horizon=3)
    a = LSTMRegressor(**FAST, loss="gaussian_nll").fit(X, y)
    b = LSTMRegressor(**FAST, loss="gaussian_nll").fit(X, 1000 * y + 5)
    pred_a, std_a = a.predict(X, return_std=True)
    pred_b, std_b = b.predict(X, return_std=True)
    assert std_a.shape == (len(X), 3) and (std_a > 0).all()
    np.testing.assert_allclose(std_b, 1000 * std_a, rtol=1e-4)
    np.testing.assert_allclose(pred_b, 1000 * pred_a + 5, rtol=1e-4)


def test_return_std_needs_the_gaussian_loss():
    reg = LSTMRegressor(**FAST).fit(np.ones((4, 3, 1), dtype=np.float32), np.arange(4.0))
    with pytest.raises(ValueError, match="return_std=True needs a model of the spread"):
        reg.predict(np.ones((1, 3, 1), dtype=np.float32), return_std=True)


def test_absolute_error_predicts_the_median_and_squared_error_the_mean():
    # Skewed noise (exponential: mean 1, median log 2) that no input explains:
    # each loss's best constant is its own centre of the noise.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 4, 1)).astype(np.float32)
    y = rng.exponential(size=800)
    params = dict(hidden_size=8, max_epochs=40, lr=1e-2, random_state=0, early_stopping=False)
    medians = LSTMRegressor(**params, loss="absolute_error").fit(X, y).predict(X)
    means = LSTMRegressor(**params).fit(X, y).predict(X)
    assert abs(np.median(medians) - np.log(2)) < 0.1, np.median(medians)
    assert abs(np.median(means) - 1.0) < 0.1, np.median(means)
    assert np.abs(y - medians).mean() < np.abs(y - means).mean()


def test_quantile_loss_predicts_its_quantile_and_two_make_an_interval():
    # Skewed noise that no input explains: quantile q of Exp(1) is -log(1 - q).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4, 1)).astype(np.float32)
    y = rng.exponential(size=1000)
    params = dict(hidden_size=8, max_epochs=40, lr=1e-2, random_state=0, early_stopping=False)
    low = LSTMRegressor(**params, loss="quantile", quantile=0.1).fit(X[:800], y[:800])
    high = LSTMRegressor(**params, loss="quantile", quantile=0.9).fit(X[:800], y[:800])
    assert isinstance(high.net_.criterion_, PinballLoss) and high.net_.criterion_.quantile == 0.9
    lo, hi = low.predict(X[800:]), high.predict(X[800:])
    assert abs(np.median(lo) + np.log(0.9)) < 0.1, np.median(lo)
    assert abs(np.median(hi) + np.log(0.1)) < 0.3, np.median(hi)
    covered = (lo <= y[800:]) & (y[800:] <= hi)
    assert 0.7 < covered.mean() < 0.9, covered.mean()
    # Scored by sklearn's pinball loss at its own quantile, each beats the other.
    for model, other, q in [(low, high, 0.1), (high, low, 0.9)]:
        scorer = make_scorer(mean_pinball_loss, alpha=q, greater_is_better=False)
        assert scorer(model, X[800:], y[800:]) > scorer(other, X[800:], y[800:])


def test_pinball_loss_is_half_the_absolute_error_at_the_median():
    y_pred, y_true = torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0], [1.0]])
    assert PinballLoss(0.5)(y_pred, y_true).tolist() == [[0.5], [0.5]]
    assert PinballLoss(0.9)(y_pred, y_true).flatten().tolist() == pytest.approx([0.9, 0.1])
    expected = mean_pinball_loss([1.0, 1.0], [0.0, 2.0], alpha=0.9)
    assert PinballLoss(0.9, reduction="mean")(y_pred, y_true).item() == pytest.approx(expected)


def test_quantile_loss_needs_a_quantile():
    X, y = np.ones((8, 3, 1), dtype=np.float32), np.arange(8.0)
    with pytest.raises(ValueError, match="loss='quantile' predicts the quantile"):
        LSTMRegressor(**FAST, loss="quantile").fit(X, y)
    with pytest.raises(ValueError, match="quantile"):
        LSTMRegressor(**FAST, loss="quantile", quantile=1.0).fit(X, y)
    # Ignored by the other losses, as in HistGradientBoostingRegressor.
    LSTMRegressor(**FAST, quantile=0.9).fit(X, y)


def test_interval_scorer_in_a_grid_search_over_a_pipeline():
    series = np.sin(np.arange(300) / 6) + 0.1 * np.random.default_rng(0).normal(size=300)
    X, y = make_windows(series, lookback=12)
    pipe = make_pipeline(SequenceScaler(), LSTMRegressor(**FAST, loss="gaussian_nll"))
    search = GridSearchCV(
        pipe,
        {"lstmregressor__hidden_size": [4, 8]},
        cv=TimeSeriesSplit(n_splits=2),
        scoring={"pinball": neg_pinball_loss_scorer, "coverage": neg_coverage_error_scorer},
        refit="pinball",
    ).fit(X, y.ravel())
    scores = search.cv_results_["mean_test_coverage"]
    assert np.isfinite(scores).all() and (scores <= 0).all() and (scores >= -0.8).all()


def test_validation_split_last_holds_out_the_latest_samples():
    reg = LSTMRegressor(validation_split="last", validation_fraction=0.2)
    train, valid = reg._validation_split(np.zeros(10), seed=0)
    assert train.tolist() == list(range(8)) and valid.tolist() == [8, 9]
    shuffled = LSTMRegressor(validation_fraction=0.2)._validation_split(np.zeros(10), seed=0)
    assert sorted(shuffled[1].tolist()) != [8, 9]


def test_gaussian_spread_is_calibrated_on_the_validation_windows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 8, 1)).astype(np.float32)
    y = X[:, -1, 0] + 0.5 * rng.normal(size=500)
    params = dict(loss="gaussian_nll", hidden_size=8, max_epochs=20, random_state=0)
    reg = LSTMRegressor(**params, validation_split="last").fit(X[:400], y[:400])
    assert 0.5 < reg.std_scale_ < 2.0
    _, std = reg.predict(X[400:], return_std=True)
    covered = np.abs(reg.predict(X[400:]) - y[400:]) <= 1.2816 * std
    assert 0.7 < covered.mean() < 0.9, covered.mean()
    unscaled = LSTMRegressor(**params, early_stopping=False).fit(X[:400], y[:400])
    assert unscaled.std_scale_ == 1.0


def test_linear_lags_all_reads_at_most_1024_values_per_window():
    X = np.zeros((8, 40, 64), dtype=np.float32)
    reg = LSTMRegressor(**FAST).fit(X, np.arange(8.0))
    assert reg.linear_lags_ == 16  # 16 steps x 64 features
    assert reg.net_.module_.linear.in_features == 1024


def test_ensemble_predicts_the_mean_of_its_members():
    X, y = make_windows(np.sin(np.arange(200) / 5), lookback=10, horizon=2)
    reg = LSTMRegressor(**FAST, ensemble_size=3, device="cpu").fit(X, y)  # CPU tensors below
    members = reg.net_.module_.members
    assert len(members) == 3
    # Each member starts from its own weights; the linear path from the same ridge fit.
    first, second = (m.encoder.forward_layers[0].weight_hh_l0 for m in members[:2])
    assert not torch.equal(first, second)
    for name in ("linear_mean", "linear_scale"):  # fixed at the start: equal in every member
        assert all(torch.equal(getattr(m, name), getattr(members[0], name)) for m in members)
    x = torch.as_tensor(X[:16])
    lengths = torch.full((16,), X.shape[1])
    module = reg.net_.module_.eval()
    with torch.no_grad():
        each = torch.stack([m(x, lengths) for m in members], dim=1)
        module.train()
        assert module(x, lengths).shape == (16, 3, 2)  # training: a loss per member
        module.eval()
        np.testing.assert_allclose(module(x, lengths), each.mean(dim=1), rtol=1e-6)
    scaled = reg.target_encoder_.inverse_transform(each.mean(dim=1).numpy())
    np.testing.assert_allclose(reg.predict(X[:16]), scaled, rtol=1e-5, atol=1e-6)
    assert reg.transform(X).shape == (len(X), 3 * 8)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X))


def test_ensemble_trains_each_member_on_its_own_loss():
    X, y = _first_value_task(64, np.random.default_rng(3))
    reg = LSTMRegressor(**FAST, ensemble_size=3, device="cpu").fit(X, y)  # CPU tensors below
    net, module = reg.net_, reg.net_.module_.train()
    x = torch.as_tensor(SequencePadder().fit_transform(X))
    lengths = torch.as_tensor([len(s) for s in X])
    target = torch.as_tensor(reg.target_encoder_.transform(y), dtype=torch.float32)
    batch = {"x": x, "lengths": lengths, "sample_weight": torch.ones(len(X))}
    module.zero_grad()
    net.get_loss(module(x, lengths), target, X=batch, training=True).backward()
    ensemble_grads = [p.grad.clone() for p in module.members[1].parameters()]
    # Member 1 alone, on its own squared error: the same gradient, over 3
    # (the loss is the members' average), and the other members' losses move
    # none of its weights.
    module.zero_grad()
    member = module.members[1]
    ((member(x, lengths) - target) ** 2).mean().backward()
    for got, alone in zip(ensemble_grads, member.parameters()):
        torch.testing.assert_close(got, alone.grad / 3, rtol=1e-4, atol=1e-7)


def test_ensemble_spread_is_the_members_mixture():
    X, y = make_windows(np.sin(np.arange(200) / 5), lookback=10)
    reg = LSTMRegressor(**FAST, loss="gaussian_nll", ensemble_size=2, device="cpu")
    reg.fit(X, y.ravel())
    module = reg.net_.module_.eval()
    x, lengths = torch.as_tensor(X[:8]), torch.full((8,), X.shape[1])
    with torch.no_grad():
        (m1, v1), (m2, v2) = [
            (out[:, :1], out[:, 1:].exp()) for out in (m(x, lengths) for m in module.members)
        ]
        mean = (m1 + m2) / 2
        var = (v1 + m1**2 + v2 + m2**2) / 2 - mean**2  # second moment minus squared mean
        out = module(x, lengths)
    torch.testing.assert_close(out[:, :1], mean)
    torch.testing.assert_close(out[:, 1:].exp(), var, rtol=1e-4, atol=1e-6)
    _, std = reg.predict(X[:8], return_std=True)
    assert std.shape == (8,) and (std > 0).all()
