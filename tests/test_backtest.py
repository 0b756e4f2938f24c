import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import (
    AdaptiveIntervals,
    ConformalIntervals,
    ForecastCombination,
    HoltWintersForecaster,
    LastValueForecaster,
    LSTMRegressor,
    RebasedRegressor,
    SeasonalNaiveForecaster,
    SequenceScaler,
    backtest,
    make_windows,
)
from sklearn_rnn.__main__ import main
from sklearn_rnn.backtest import default_forecasters, rolling_origin_cv, summarize_backtest

T = np.arange(240)
SEASONAL = 10 + np.sin(2 * np.pi * T / 12) + 0.02 * T


def test_last_value_and_seasonal_naive_forecasts():
    X, y = make_windows(np.arange(10.0), lookback=4, horizon=3)
    np.testing.assert_array_equal(LastValueForecaster().fit(X, y).predict(X)[0], [3, 3, 3])
    np.testing.assert_array_equal(
        SeasonalNaiveForecaster(season=2).fit(X, y).predict(X)[0], [2, 3, 2]
    )
    assert LastValueForecaster().fit(X, y[:, 0]).predict(X).shape == (len(X),)
    # Several features: the target column is the one forecast.
    X2, y2 = make_windows(np.c_[np.arange(10.0), -np.arange(10.0)], lookback=4, target=1)
    assert LastValueForecaster(target=1).fit(X2, y2).predict(X2)[0, 0] == -3


@pytest.mark.parametrize(
    "forecaster, X, match",
    [
        (LastValueForecaster(), np.ones((3, 4)), "Expected windows as a 3-D float array"),
        (LastValueForecaster(target=2), np.ones((3, 4, 1)), "target=2 but the windows have 1"),
        (SeasonalNaiveForecaster(season=6), np.ones((3, 4, 1)), "fewer than one season"),
    ],
)
def test_naive_forecasters_bad_input(forecaster, X, match):
    with pytest.raises(ValueError, match=match):
        forecaster.fit(X, np.ones(len(X))).predict(X)


def test_backtest_scores_every_model_on_the_same_time_ordered_folds():
    models = {
        "last value": LastValueForecaster(),
        "seasonal naive": SeasonalNaiveForecaster(season=12),
        "linear": make_pipeline(
            FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression()
        ),
    }
    result = backtest(SEASONAL, models, lookback=24, horizon=6, season=12, n_splits=3)
    assert result.shape[0] == 9 and set(result["model"]) == set(models)
    assert (result.groupby("fold")["n_train"].nunique() == 1).all()  # the same folds
    assert result["n_train"].is_monotonic_increasing
    mase = result.groupby("model")["mase"].mean()
    # A sine on a trend: exact for the linear model, the seasonal lag's trend step for
    # the seasonal naive forecast (its in-sample error: MASE 1), far off for the last value.
    assert mase["linear"] < 1e-3 and mase["seasonal naive"] == pytest.approx(1.0)
    assert mase["last value"] > 3
    assert result["coverage"].isna().all()


def test_backtest_scores_the_intervals_of_a_model_with_a_spread():
    rng = np.random.default_rng(0)
    series = np.sin(2 * np.pi * T / 12) + 0.3 * rng.normal(size=len(T))
    lstm = LSTMRegressor(loss="gaussian_nll", hidden_size=8, max_epochs=5, random_state=0)
    models = {"lstm": make_pipeline(SequenceScaler(), lstm), "last": LastValueForecaster()}
    result = backtest(series, models, lookback=12, season=12, n_splits=2, coverage=0.9)
    coverage = result.set_index(["model", "fold"])["coverage"]
    assert coverage["lstm"].between(0.3, 1.0).all() and coverage["last"].isna().all()


def test_backtest_bad_input():
    two_columns = np.c_[SEASONAL, SEASONAL]
    with pytest.raises(ValueError, match="2 columns; say which to forecast with target="):
        backtest(two_columns, lookback=12)
    with pytest.raises(ValueError, match="cannot make 3 test folds of 60 windows"):
        backtest(SEASONAL, {"last": LastValueForecaster()}, lookback=12, test_size=60)
    with pytest.raises(ValueError, match="coverage must be in \\(0, 1\\)"):
        backtest(SEASONAL, lookback=12, coverage=80)


def test_default_forecasters_with_intervals_give_both_lstms_a_spread():
    plain = default_forecasters(season=12)
    spread = default_forecasters(season=12, intervals=True)
    for models, loss, split in (
        (plain, "squared_error", "random"),
        (spread, "gaussian_nll", "last"),
    ):
        for lstm in (models["lstm"][-1], models["half-rebased lstm"].regressor[-1]):
            assert (lstm.loss, lstm.validation_split) == (loss, split)


def test_default_forecasters_are_the_documented_nine():
    models = default_forecasters(season=12, random_state=0)
    assert list(models) == [
        "last value",
        "seasonal naive",
        "holt-winters",
        "ridge",
        "half-rebased ridge",
        "lstm",
        "half-rebased lstm",
        "half-rebased ridge + holt-winters",
        "half-rebased lstm + holt-winters",
    ]
    assert models["half-rebased ridge + holt-winters"].models == [
        "half-rebased ridge",
        "holt-winters",
    ]
    assert models["half-rebased lstm + holt-winters"].models == [
        "half-rebased lstm",
        "holt-winters",
    ]
    assert models["seasonal naive"].season == models["holt-winters"].season == 12
    for name in ("ridge", "lstm"):
        half = models[f"half-rebased {name}"]
        assert half.rebased_weight == 0.5 and half.target == 0
        # Its own copy: setting the plain model's parameters leaves it alone.
        assert half.regressor is not models[name]
    assert models["half-rebased lstm"].regressor[-1].random_state == 0


def test_backtest_default_models_forecast_the_target_column(monkeypatch):
    import sys

    bt = sys.modules["sklearn_rnn.backtest"]  # the package's name backtest is the function

    # The naive forecasts and the re-basing read the column forecast, not the first one.
    models = default_forecasters(season=4, target=1)
    for name in ("last value", "seasonal naive", "half-rebased ridge", "half-rebased lstm"):
        assert models[name].target == 1
    asked = {}

    def only_naive(season, target):
        asked.update(season=season, target=target)
        return {"last value": LastValueForecaster(target=target)}

    monkeypatch.setattr(bt, "default_forecasters", only_naive)
    two = np.c_[np.arange(80.0), SEASONAL[:80]]
    result = backtest(two, lookback=8, season=4, target=1, n_splits=2, test_size=8)
    assert asked == {"season": 4, "target": 1}
    expected = backtest(two[:, 1], {"last value": LastValueForecaster()}, lookback=8, season=4,
                        n_splits=2, test_size=8)  # fmt: skip
    np.testing.assert_allclose(result["mae"], expected["mae"])


@pytest.mark.parametrize("forecaster", [LastValueForecaster(), SeasonalNaiveForecaster(season=1)])
def test_naive_forecasters_are_sklearn_estimators(forecaster):
    from sklearn.base import clone

    assert clone(forecaster).get_params() == forecaster.get_params()
    X, y = make_windows(SEASONAL, lookback=12, horizon=2)
    assert forecaster.fit(X, y).score(X, y) > 0.5


def test_command_line_backtest_writes_the_report(tmp_path, capsys):
    from sklearn_rnn.backtest import forecast

    pd.DataFrame({"month": np.arange(len(SEASONAL)), "sales": SEASONAL}).to_csv(
        tmp_path / "sales.csv", index=False
    )
    out = tmp_path / "report"
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    argv += ["--lookback", "24", "--horizon", "3", "--season", "12", "--folds", "2"]
    assert main(argv + ["--output-dir", str(out), "--forecast"]) == 0
    printed = capsys.readouterr().out
    assert "sales.csv: sales: 240 steps" in printed and "seasonal naive" in printed
    rows = pd.read_csv(out / "results.csv")
    assert set(rows["model"]) == set(default_forecasters())
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert len(forecasts) == 9 * 2 * rows["n_test"].iloc[0] * 3
    # Holt-Winters predicts its spread, so the report scores its intervals.
    assert rows.loc[rows["model"] == "holt-winters", "coverage"].between(0, 1).all()
    # Every model's adaptive intervals: around the spread, or from past errors.
    assert rows["adaptive_coverage"].between(0, 1).all()
    for name in ("forecasts", "forecasts_adaptive", "error_by_step", "future"):
        assert (out / f"{name}.png").exists()
    with open(out / "results.json") as f:
        assert json.load(f)["summary"]["seasonal naive"]["mae_vs_seasonal_naive"] == 1.0
    # --forecast: the 3 steps after the end, by every model fitted on the whole series,
    # with the intervals that forecast(adaptive_from=) draws from the backtest's forecasts.
    assert "Forecasts of the 3 steps after the end" in printed
    future = pd.read_csv(out / "future.csv")
    assert len(future) == 9 * 3 and future["adaptive_lower"].notna().all()
    last = future[future["model"] == "last value"]
    np.testing.assert_allclose(last["y_pred"], SEASONAL[-1], rtol=1e-6)
    models = {
        "last value": LastValueForecaster(),
        "seasonal naive": SeasonalNaiveForecaster(season=12),
    }
    expected = forecast(SEASONAL, models, lookback=24, horizon=3, adaptive_from=forecasts)
    for name in models:
        mine = future[future["model"] == name].reset_index(drop=True)
        theirs = expected[expected["model"] == name].reset_index(drop=True)
        np.testing.assert_allclose(mine["adaptive_upper"], theirs["adaptive_upper"], rtol=1e-6)
        np.testing.assert_allclose(mine["y_pred"], theirs["y_pred"], rtol=1e-6)


def test_command_line_forecast_continues_the_season_dummies():
    from sklearn_rnn.__main__ import _future_season_dummies, _season_dummies

    future = _future_season_dummies(np.arange(10.0), season=4, horizon=3)
    np.testing.assert_array_equal(future[:10], _season_dummies(10, 4))
    # The last observed step is in the last column; the next ones start the season over.
    assert future[9].argmax() == 3 and future[10:].argmax(axis=1).tolist() == [0, 1, 2]
    several = _future_season_dummies([np.arange(10.0), np.arange(6.0)], season=4, horizon=3)
    np.testing.assert_array_equal(several[1][-3:], future[-3:])


def test_command_line_future_plot_draws_the_best_models_interval():
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rnn.__main__ import _plot_future

    future = pd.DataFrame(
        {
            "model": ["a"] * 2 + ["b"] * 2,
            "series": 0,
            "step": [1, 2] * 2,
            "y_pred": [1.0, 2.0, 3.0, 4.0],
            "adaptive_lower": [0.5, 1.5, 2.5, 3.5],
            "adaptive_upper": [1.5, 2.5, 3.5, 4.5],
        }
    )
    import matplotlib.pyplot as plt

    fig = _plot_future(
        future, np.arange(10.0), pd.DataFrame({"mase": [2.0, 1.0]}, index=["a", "b"])
    )
    ax = fig.axes[0]
    (band,) = ax.collections
    assert band.get_label() == "b interval, adapted" and ax.get_title().endswith("MASE: b)")
    # The forecasts follow the series' last step (9): steps 10 and 11.
    assert ax.lines[1].get_xdata().tolist() == [10, 11]
    # Without a MASE (a constant history) no model is best and no band is drawn.
    none = _plot_future(
        future, np.zeros(10), pd.DataFrame({"mase": [np.nan] * 2}, index=["a", "b"])
    )
    assert not none.axes[0].collections and none.axes[0].get_title() == "Forecasts after the end"
    plt.close("all")


def test_command_line_forecast_refuses_covariates(tmp_path, capsys):
    pd.DataFrame({"sales": SEASONAL, "promo": 0.0}).to_csv(tmp_path / "s.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "s.csv"), "--column", "sales"]
    argv += ["--lookback", "24", "--covariates", "promo", "--forecast"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--forecast cannot forecast with --covariates: it needs their values" in err


def test_command_line_backtest_adds_the_rebased_models(tmp_path, capsys):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    out = tmp_path / "report"
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    argv += ["--lookback", "24", "--horizon", "3", "--season", "12", "--folds", "2"]
    assert main(argv + ["--rebased", "--intervals", "--output-dir", str(out)]) == 0
    rows = pd.read_csv(out / "results.csv").set_index(["model", "fold"])
    assert {"rebased ridge", "rebased lstm"} <= set(rows.index.get_level_values("model"))
    # The re-based LSTM keeps the Gaussian head of --intervals, so its intervals are scored.
    assert rows.loc["rebased lstm", "coverage"].notna().all()
    assert rows.loc["rebased ridge", "coverage"].isna().all()
    # So does the half re-based one, whose spread is that of its two networks' mixture.
    assert rows.loc["half-rebased lstm", "coverage"].notna().all()
    assert rows.loc["half-rebased ridge", "coverage"].isna().all()
    # A combination has a spread when all its parts do: the LSTM's and Holt-Winters'.
    assert rows.loc["half-rebased lstm + holt-winters", "coverage"].notna().all()
    assert rows.loc["half-rebased ridge + holt-winters", "coverage"].isna().all()


def _backtest_call(monkeypatch, argv):
    """What the command line hands to ``backtest``: ``(values, models, settings)``."""
    import sys

    class Seen(Exception):
        pass

    def stop(values, models, **settings):
        raise Seen(values, models, settings)

    monkeypatch.setattr(sys.modules["sklearn_rnn.backtest"], "backtest", stop)
    with pytest.raises(Seen) as seen:
        main(argv)
    return seen.value.args


def test_command_line_intervals_calibrate_on_the_latest_windows(tmp_path, monkeypatch):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    _, models, _ = _backtest_call(monkeypatch, argv + ["--lookback", "24", "--intervals"])
    for lstm in (models["lstm"][-1], models["half-rebased lstm"].regressor[-1]):
        assert (lstm.loss, lstm.validation_split) == ("gaussian_nll", "last")


@pytest.mark.parametrize("given, expected", [([], "spread"), (["errors"], "errors")])
def test_command_line_adaptive_intervals(tmp_path, monkeypatch, capsys, given, expected):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    argv += ["--lookback", "24"] + (["--adaptive-intervals"] + given if given else [])
    _, _, settings = _backtest_call(monkeypatch, argv)
    assert settings["adaptive_intervals"] == expected
    with pytest.raises(SystemExit) as exit_:
        main(argv[:-1] + ["gaussian"] if given else argv + ["--adaptive-intervals", "gaussian"])
    assert exit_.value.code == 2
    assert "invalid choice: 'gaussian'" in capsys.readouterr().err


@pytest.mark.parametrize("given, expected", [([], 0.02), (["0.1"], 0.1), (["0"], None)])
def test_command_line_adaptive_step_size(tmp_path, monkeypatch, given, expected):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    argv += ["--lookback", "24"] + (["--adaptive-step-size"] + given if given else [])
    _, _, settings = _backtest_call(monkeypatch, argv)
    assert settings["adaptive_step_size"] == expected


@pytest.mark.parametrize("bad", ["-0.1", "nan", "inf"])
def test_command_line_bad_adaptive_step_size(tmp_path, capsys, bad):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    assert main(argv + ["--lookback", "24", "--adaptive-step-size", bad]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--adaptive-step-size must be a finite number >= 0" in err[0]


def _backtest_inputs(monkeypatch, argv):
    """What the command line hands to ``backtest``: its values and known-future covariates."""
    values, _, settings = _backtest_call(monkeypatch, argv)
    return values, settings["future_covariates"]


def test_command_line_season_dummies_are_the_position_in_the_season(tmp_path, monkeypatch):
    n = len(SEASONAL)
    promotion = np.arange(n) % 5 == 0
    pd.DataFrame({"sales": SEASONAL, "promotion": promotion}).to_csv(
        tmp_path / "sales.csv", index=False
    )
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    argv += ["--lookback", "24", "--season", "12", "--season-dummies"]
    _, known = _backtest_inputs(monkeypatch, argv)
    assert known.shape == (n, 12)
    np.testing.assert_array_equal(known.sum(axis=1), 1)  # one-hot
    # Counted back from the last row: it is in the last column, a season earlier too.
    assert known[-1, -1] == known[-13, -1] == 1 and known[-2, -2] == 1
    # Beside the CSV's own covariates, after them.
    _, known = _backtest_inputs(monkeypatch, argv + ["--covariates", "promotion"])
    assert known.shape == (n, 13)
    np.testing.assert_array_equal(known[:, 0], promotion)
    np.testing.assert_array_equal(known[:, 1:], _backtest_inputs(monkeypatch, argv)[1])


def test_command_line_season_dummies_of_several_series_align_their_ends(tmp_path, monkeypatch):
    frame = pd.DataFrame({"shop": ["a"] * 30 + ["b"] * 25, "sales": np.arange(55.0)})
    frame.to_csv(tmp_path / "shops.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "shops.csv"), "--column", "sales"]
    argv += ["--series-column", "shop", "--lookback", "4", "--season", "4", "--season-dummies"]
    values, known = _backtest_inputs(monkeypatch, argv)
    assert [len(v) for v in values] == [len(k) for k in known] == [30, 25]
    # backtest aligns the series at their ends, and so do the positions in the season.
    np.testing.assert_array_equal(known[0][-25:], known[1])


def test_command_line_season_dummies_need_a_season(tmp_path, capsys):
    pd.DataFrame({"sales": SEASONAL}).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "sales.csv"), "--column", "sales"]
    assert main(argv + ["--lookback", "24", "--season-dummies"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--season-dummies needs --season of 2 or more (the steps per season); got 1." in err


def test_command_line_backtest_of_several_series_with_covariates(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frames = []
    for shop, n in (("north", 90), ("south", 70)):
        promotion = (rng.random(n) < 0.3).astype(int)
        sales = 10 + 5 * promotion + 0.1 * rng.normal(size=n)
        frames.append(pd.DataFrame({"shop": shop, "promotion": promotion, "sales": sales}))
    pd.concat(frames).to_csv(tmp_path / "shops.csv", index=False)
    out = tmp_path / "report"
    argv = ["backtest", "--data", str(tmp_path / "shops.csv"), "--column", "sales"]
    argv += ["--series-column", "shop", "--covariates", "promotion", "--lookback", "4"]
    assert main(argv + ["--folds", "2", "--output-dir", str(out)]) == 0
    assert "2 series by 'shop'" in capsys.readouterr().out
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert set(forecasts["series"]) == {0, 1}
    rows = pd.read_csv(out / "results.csv").groupby("model")["mae"].mean()
    # The promotions, known ahead, make the forecast: Ridge reads them, the naive ones cannot.
    assert rows["ridge"] < 0.3 < 1 < rows["last value"]
    assert main([a if a != "promotion" else "price" for a in argv]) == 2
    assert "no column 'price'; the columns are ['shop', 'promotion', 'sales']" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "argv, match",
    [
        (
            ["--column", "price"],
            r"choose the series with --column, one of \['month', 'sales'\]",
        ),
        (["--column", "month", "--lookback", "500"], "no window fits"),
    ],
)
def test_command_line_backtest_errors_are_one_line(tmp_path, capsys, argv, match):
    pd.DataFrame({"month": [1, 2, 3], "sales": [1.0, None, 3.0]}).to_csv(
        tmp_path / "s.csv", index=False
    )
    base = ["backtest", "--data", str(tmp_path / "s.csv"), "--lookback", "2"]
    assert main(base + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sklearn-rnn backtest: error: ") and err.count("\n") == 1
    assert re.search(match, err), err


def test_command_line_backtest_refuses_missing_values(tmp_path, capsys):
    pd.DataFrame({"sales": [1.0, None, 3.0]}).to_csv(tmp_path / "s.csv", index=False)
    argv = ["backtest", "--data", str(tmp_path / "s.csv"), "--column", "sales"]
    assert main(argv + ["--lookback", "1"]) == 2
    err = capsys.readouterr().err
    assert "1 missing or non-numeric values (rows 2; row 1 is the first after the header)" in err


def test_rolling_origin_cv_keeps_training_targets_out_of_the_test_period():
    cv = rolling_origin_cv(100, horizon=4, n_splits=3, max_train_size=30)
    for train, test in cv.split(np.arange(100)):
        assert len(test) == 10 and len(train) <= 30
        assert train[-1] + 4 <= test[0]  # the last training window's targets end before


def _flat_linear():
    return make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())


def test_backtest_of_several_series_scales_each_by_its_own_naive_error():
    rng = np.random.default_rng(0)
    # Two random walks of very different scales, the second one 40 steps shorter.
    walks = [np.cumsum(rng.normal(size=200)), 1000 * np.cumsum(rng.normal(size=160))]
    models = {"last value": LastValueForecaster(), "linear": _flat_linear()}
    result, forecasts = backtest(
        walks, models, lookback=5, horizon=2, n_splits=2, return_forecasts=True
    )
    assert set(forecasts["series"]) == {0, 1}
    # The same test times for every series: their windows share the folds.
    last = forecasts[(forecasts["model"] == "linear") & (forecasts["step"] == 1)]
    ends = last.groupby(["fold", "series"])["origin"].max().unstack()
    np.testing.assert_array_equal(ends[0] - ends[1], [40, 40])
    # MASE is the mean of each series' MAE over its own in-sample scale, not pooled.
    row = result[(result["model"] == "last value") & (result["fold"] == 1)].iloc[0]
    rows = forecasts[(forecasts["model"] == "last value") & (forecasts["fold"] == 1)]
    per_series = []
    for i, walk in enumerate(walks):
        mine = rows[rows["series"] == i]
        # Up to the last training target: the gap ends right before the test period.
        history = walk[: mine["origin"].min()]
        scale = np.abs(np.diff(history)).mean()
        per_series.append((mine["y_pred"] - mine["y_true"]).abs().mean() / scale)
    assert row["mase"] == pytest.approx(np.mean(per_series))
    pooled_mae = (rows["y_pred"] - rows["y_true"]).abs().mean()
    assert row["mae"] == pytest.approx(pooled_mae)
    # A random walk: the last value is the best forecast, near MASE 1 on each series.
    assert 0.5 < row["mase"] < 2


def test_backtest_models_read_known_future_covariates():
    rng = np.random.default_rng(0)
    promotion = (rng.random(300) < 0.3).astype(float)  # known ahead: planned promotions
    sales = 10 + 5 * promotion + 0.1 * rng.normal(size=300)
    models = {"linear": _flat_linear()}
    blind = backtest(sales, models, lookback=4, horizon=2)
    informed = backtest(sales, models, lookback=4, horizon=2, future_covariates=promotion[:, None])
    assert informed["mae"].mean() < 0.2 < 1.5 < blind["mae"].mean()


class _Recorder(LinearRegression):
    """LinearRegression on flattened windows that keeps what it was given."""

    def fit(self, X, y, sample_weight=None):
        self.seen_X_, self.seen_y_, self.seen_weight_ = X.copy(), y.copy(), sample_weight
        return super().fit(X.reshape(len(X), -1), y, sample_weight=sample_weight)

    def predict(self, X, return_std=False):
        pred = super().predict(X.reshape(len(X), -1))
        return (pred, np.full(pred.shape, 0.5)) if return_std else pred


def test_rebased_regressor_fits_the_change_since_the_last_value():
    rng = np.random.default_rng(0)
    series = np.c_[rng.normal(size=60).cumsum(), rng.normal(size=60)]
    X, y = make_windows(series, lookback=5, horizon=3, target=1)
    weight = rng.uniform(0.5, 1.5, len(X))
    X = X.astype(np.float64)  # float64 windows could be re-based in place: they must not be
    given = X.copy()
    model = RebasedRegressor(_Recorder(), target=1).fit(X, y, sample_weight=weight)
    inner = model.regressor_
    last = X[:, -1, 1].astype(np.float64)
    # Only the target column is re-based; the other feature passes as it is.
    np.testing.assert_allclose(inner.seen_X_[:, :, 1], X[:, :, 1] - last[:, None], atol=1e-6)
    np.testing.assert_array_equal(inner.seen_X_[:, :, 0], X[:, :, 0])
    np.testing.assert_allclose(inner.seen_y_, y - last[:, None], atol=1e-6)
    np.testing.assert_array_equal(inner.seen_weight_, weight)  # fit parameters reach it
    pred, std = model.predict(X, return_std=True)
    expected = inner.predict(inner.seen_X_) + last[:, None]
    np.testing.assert_allclose(pred, expected, atol=1e-6)
    np.testing.assert_array_equal(std, 0.5)  # a shift leaves the spread alone
    np.testing.assert_allclose(model.predict(X), pred)
    np.testing.assert_array_equal(X, given)  # the caller's windows are left as they were
    # One step ahead as a 1-D target keeps its shape.
    X1, y1 = make_windows(series, lookback=5, target=1)
    y1 = y1.ravel()
    assert RebasedRegressor(_Recorder(), target=1).fit(X1, y1).predict(X1).shape == (len(X1),)


def test_rebased_weight_mixes_the_rebased_and_the_plain_model():
    rng = np.random.default_rng(1)
    series = np.c_[rng.normal(size=60).cumsum(), rng.normal(size=60)]
    X, y = make_windows(series, lookback=5, horizon=3, target=1)
    X = X.astype(np.float64)
    given = X.copy()
    half = RebasedRegressor(_Recorder(), target=1, rebased_weight=0.25).fit(X, y)
    rebased = RebasedRegressor(_Recorder(), target=1).fit(X, y)
    plain = _Recorder().fit(X, y)
    # The plain clone reads the windows and targets exactly as given.
    np.testing.assert_array_equal(half.plain_regressor_.seen_X_, X)
    np.testing.assert_array_equal(half.plain_regressor_.seen_y_, y)
    expected = 0.25 * rebased.predict(X) + 0.75 * plain.predict(X)
    np.testing.assert_allclose(half.predict(X), expected, rtol=1e-10)
    # The spread is the mixture's: each model's (0.5 here) and their disagreement.
    pred, std = half.predict(X, return_std=True)
    np.testing.assert_allclose(pred, expected, rtol=1e-10)
    gap = rebased.predict(X) - plain.predict(X)
    np.testing.assert_allclose(std, np.sqrt(0.25 + 0.25 * 0.75 * gap**2), rtol=1e-10)
    assert (std > 0.5).all() and std.shape == pred.shape
    np.testing.assert_array_equal(X, given)
    # The two ends: the re-based model alone (the default), the plain one alone.
    assert rebased.plain_regressor_ is None
    only_plain = RebasedRegressor(_Recorder(), target=1, rebased_weight=0).fit(X, y)
    assert only_plain.regressor_ is None
    np.testing.assert_allclose(only_plain.predict(X), plain.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="rebased_weight"):
        RebasedRegressor(_Recorder(), rebased_weight=1.5).fit(X, y)


def test_rebased_regressor_follows_a_trend_that_shrinkage_pulls_back():
    from sklearn.linear_model import Ridge

    X, y = make_windows(np.arange(40.0), lookback=4, horizon=2)
    ridge = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge(alpha=10.0))
    train, test = slice(0, 15), slice(25, None)  # the test windows lie above every training one
    plain = ridge.fit(X[train], y[train]).predict(X[test])
    rebased = RebasedRegressor(ridge).fit(X[train], y[train]).predict(X[test])
    np.testing.assert_allclose(rebased, y[test], atol=1e-6)
    assert np.abs(plain - y[test]).min() > 0.1  # ridge pulls back towards its training mean


def test_rebased_last_value_is_the_last_value_forecast_in_a_backtest():
    models = {
        "last": LastValueForecaster(),
        "rebased last": RebasedRegressor(LastValueForecaster()),
        "rebased lstm": RebasedRegressor(
            make_pipeline(SequenceScaler(), LSTMRegressor(hidden_size=4, max_epochs=2))
        ),
    }
    result = backtest(SEASONAL, models, lookback=12, horizon=3, season=12, n_splits=2)
    mae = result.pivot(index="fold", columns="model", values="mae")
    np.testing.assert_allclose(mae["rebased last"], mae["last"], rtol=1e-6)
    assert np.isfinite(mae["rebased lstm"]).all()


def test_rebased_regressor_is_an_sklearn_meta_estimator():
    import pickle

    from sklearn.base import clone

    X, y = make_windows(SEASONAL, lookback=6, horizon=2)
    model = RebasedRegressor(_Recorder())
    assert clone(model).get_params()["regressor"].__class__ is _Recorder
    assert "regressor__fit_intercept" in model.get_params()
    assert not hasattr(model, "set_predict_request")  # return_std is an option, not metadata
    fitted = model.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    assert restored.score(X, y) > 0.9


@pytest.mark.parametrize(
    "model, X, y, match",
    [
        (RebasedRegressor(_Recorder()), np.ones((3, 4)), np.ones(3), "3-D float array"),
        (RebasedRegressor(_Recorder(), target=2), np.ones((3, 4, 2)), np.ones(3), "target=2"),
        (RebasedRegressor(_Recorder()), np.ones((3, 4, 1)), np.ones(2), "one target row"),
        (RebasedRegressor(_Recorder()), np.ones((3, 0, 1)), np.ones(3), "no steps"),
        (RebasedRegressor("ridge"), np.ones((3, 4, 1)), np.ones(3), "'regressor' parameter"),
    ],
)
def test_rebased_regressor_bad_input(model, X, y, match):
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


def test_rebased_regressor_predict_checks_the_windows():
    X, y = make_windows(SEASONAL, lookback=6)
    model = RebasedRegressor(_Recorder()).fit(X, y)
    with pytest.raises(ValueError, match="have 2 feature\\(s\\); fitted on 1"):
        model.predict(np.ones((2, 6, 2)))
    # A regressor without a spread says so, in the words backtest() looks for.
    flat = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())
    with pytest.raises(TypeError, match="return_std"):
        RebasedRegressor(flat).fit(X, y).predict(X, return_std=True)


def _holt_winters_path(n, season, seed):
    """A series that follows the additive damped Holt-Winters model, Gaussian errors of sd 1."""
    rng = np.random.default_rng(seed)
    level, trend, phi = 50.0, 0.3, 0.95
    seasons = list(3 * np.sin(2 * np.pi * np.arange(season) / season))
    out = []
    for t in range(n):
        e = rng.standard_normal()
        s = seasons[t % season]
        out.append(level + phi * trend + s + e)
        level, trend = level + phi * trend + 0.3 * e, phi * trend + 0.05 * e
        seasons[t % season] = s + 0.1 * e
    return np.array(out)


def test_holt_winters_reruns_the_fitted_model_and_reads_only_the_past():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    series = _holt_winters_path(120, 12, seed=0)
    hw = HoltWintersForecaster(season=12).fit(series[:96])
    assert hw.seasonal_ and hw.n_steps_fit_ == 96
    # From the end of the fitted series: statsmodels' own forecast of its fit.
    own = ExponentialSmoothing(
        series[:96],
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=12,
        initialization_method="estimated",
    ).fit()
    np.testing.assert_allclose(hw.forecast(series, [96], 6)[0], own.forecast(6), rtol=1e-9)
    # A forecast reads the series before its origin and nothing after it.
    changed = series.copy()
    changed[100:] += 100.0
    np.testing.assert_array_equal(
        hw.forecast(series, [90, 100], 4), hw.forecast(changed, [90, 100], 4)
    )
    assert not np.allclose(hw.forecast(series, [101], 4), hw.forecast(changed, [101], 4))
    # A seeded spread is the origin's own: the same whatever else is asked for.
    _, alone = hw.forecast(series, [100], 4, return_std=True)
    _, among = hw.forecast(series, [90, 95, 100], 4, return_std=True)
    np.testing.assert_array_equal(alone[0], among[2])


def test_holt_winters_intervals_cover_a_series_of_its_own_kind():
    covered = []
    for seed in range(4):
        series = _holt_winters_path(300, 12, seed=seed)
        hw = HoltWintersForecaster(season=12, random_state=seed).fit(series[:200])
        origins = np.arange(200, 297)
        pred, std = hw.forecast(series, origins, 3, return_std=True)
        truth = np.stack([series[t : t + 3] for t in origins])
        covered.append(np.abs(truth - pred) <= 1.2816 * std)
        # Further ahead, wider: the spread grows with the step.
        assert (np.diff(std, axis=1) > 0).mean() > 0.9
    # 4 x 97 x 3 values, strongly dependent within a series: 80% within a few points.
    assert 0.72 < np.mean(covered) < 0.88


def test_holt_winters_drops_a_season_it_cannot_estimate():
    hw = HoltWintersForecaster(season=12).fit(SEASONAL[:20])  # fewer than 2 * 12 + 2 steps
    assert not hw.seasonal_
    assert HoltWintersForecaster(season=12).fit(SEASONAL[:26]).seasonal_


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: HoltWintersForecaster().fit(np.arange(9.0)), "at least 10 steps"),
        (lambda: HoltWintersForecaster().fit(np.ones((20, 2))), "one series"),
        (lambda: HoltWintersForecaster().fit(np.r_[np.arange(20.0), np.nan]), "NaN"),
        (lambda: HoltWintersForecaster().fit(["a"] * 20), "must hold numbers"),
        (lambda: HoltWintersForecaster(random_state=-1).fit(SEASONAL), "random_state"),
        (lambda: HoltWintersForecaster(season=0).fit(SEASONAL), "season"),
        (lambda: HoltWintersForecaster().fit(SEASONAL).forecast(SEASONAL, [300], 2), "origins"),
        (lambda: HoltWintersForecaster().fit(SEASONAL).forecast(SEASONAL, [1.5], 2), "integer"),
        (lambda: HoltWintersForecaster().fit(SEASONAL).forecast(SEASONAL, [50], 0), "horizon"),
    ],
)
def test_holt_winters_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_backtest_runs_holt_winters_over_the_fold_s_past():
    from sklearn.base import clone

    hw = HoltWintersForecaster(season=12)
    assert clone(hw).get_params() == hw.get_params()
    series = _holt_winters_path(240, 12, seed=1)
    settings = dict(lookback=24, horizon=3, season=12, n_splits=3, test_size=20)
    result, fc = backtest(series, {"hw": hw}, return_forecasts=True, **settings)
    # Fold 0's forecasts: the model fitted on the series up to the fold's last
    # training target, run to each origin.
    first = fc[fc["fold"] == 0]
    # The gap of horizon - 1 windows puts the last training target just before the first origin.
    end = first["origin"].min()
    mine = HoltWintersForecaster(season=12).fit(series[:end])
    origins = first.loc[first["step"] == 1, "origin"].to_numpy()
    pred, std = mine.forecast(series, origins, 3, return_std=True)
    np.testing.assert_allclose(first["y_pred"], pred.ravel())
    np.testing.assert_allclose(first["y_std"], std.ravel())
    # What comes after a fold's test period changes nothing in it.
    later = series.copy()
    later[fc.loc[fc["fold"] == 0, "origin"].max() + 3 :] *= 2
    again = backtest(later, {"hw": hw}, **settings)
    assert again.loc[0, "mae"] == result.loc[0, "mae"]
    assert again.loc[2, "mae"] != result.loc[2, "mae"]


def test_backtest_fits_holt_winters_to_each_of_several_series():
    short = _holt_winters_path(150, 4, seed=2)
    long = _holt_winters_path(200, 4, seed=3) * 3
    result, fc = backtest(
        [long, short],
        {"hw": HoltWintersForecaster(season=4)},
        lookback=8,
        horizon=2,
        season=4,
        max_train_size=60,
        return_forecasts=True,
    )
    assert set(fc["series"]) == {0, 1} and result["mae"].notna().all()
    # Each series' forecasts are those of its own fit, on its own latest 60 + lookback steps.
    fold = fc[(fc["fold"] == 2) & (fc["series"] == 1)]
    origins = fold.loc[fold["step"] == 1, "origin"].to_numpy()
    # The latest training window forecasts from origins.min() - 2 (the gap), the earliest
    # 59 windows before it, and it reads the 8 steps before its origin.
    first = origins.min() - 2 - 59 - 8
    mine = HoltWintersForecaster(season=4).fit(short[first : origins.min()])
    expected = mine.forecast(short[first:], origins - first, 2)
    np.testing.assert_allclose(fold["y_pred"], expected.ravel())


class _ConstantSpread(LastValueForecaster):
    """The last value, with a spread of ``scale`` that ``predict(return_std=True)`` returns."""

    def __init__(self, target=0, scale=1.0):
        super().__init__(target=target)
        self.scale = scale

    def predict(self, X, return_std=False):
        pred = super().predict(X)
        return (pred, np.full(np.shape(pred), self.scale)) if return_std else pred


def _flat_linear():
    return make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())


def test_forecast_combination_is_the_weighted_mean_of_its_parts():
    models = {
        "last": LastValueForecaster(),
        "snaive": SeasonalNaiveForecaster(season=12),
        "linear": _flat_linear(),
        "hw": HoltWintersForecaster(season=12),
        "mean": ForecastCombination(["last", "snaive"]),
        "weighted": ForecastCombination(("linear", "hw", "snaive"), weights=[2, 1, 1]),
    }
    settings = dict(lookback=24, horizon=3, season=12)
    result, fc = backtest(SEASONAL, models, return_forecasts=True, **settings)
    pred = fc.pivot_table(index=["fold", "origin", "step"], columns="model", values="y_pred")
    np.testing.assert_allclose(pred["mean"], (pred["last"] + pred["snaive"]) / 2)
    np.testing.assert_allclose(
        pred["weighted"], 0.5 * pred["linear"] + 0.25 * pred["hw"] + 0.25 * pred["snaive"]
    )
    rows = result.set_index(["model", "fold"])
    truth = fc.pivot_table(index=["fold", "origin", "step"], columns="model", values="y_true")
    mae = (pred["mean"] - truth["mean"]).abs().groupby(level="fold").mean()
    np.testing.assert_allclose(rows.loc["mean", "mae"], mae)
    # It costs its parts' fits, and it lies between them here.
    np.testing.assert_allclose(
        rows.loc["mean", "fit_seconds"],
        rows.loc["last", "fit_seconds"] + rows.loc["snaive", "fit_seconds"],
    )
    assert (rows.loc["mean", "mae"] < rows.loc["last", "mae"]).all()
    # The other models' figures are those of a backtest without the combinations.
    alone = backtest(SEASONAL, {"last": LastValueForecaster(), "hw": models["hw"]}, **settings)
    np.testing.assert_allclose(
        alone.set_index(["model", "fold"])["mae"].sort_index(),
        rows.loc[["last", "hw"], "mae"].sort_index(),
    )
    assert list(result["model"].unique()) == list(models)


def test_forecast_combination_spread_is_the_weighted_mean_of_its_parts():
    models = {
        "narrow": _ConstantSpread(scale=0.1),
        "wide": _ConstantSpread(scale=0.5),
        "no spread": LastValueForecaster(),
        "both": ForecastCombination(["narrow", "wide"], weights=[3, 1]),
        "one without": ForecastCombination(["narrow", "no spread"]),
    }
    result, fc = backtest(SEASONAL, models, lookback=24, horizon=2, return_forecasts=True)
    np.testing.assert_allclose(fc.loc[fc["model"] == "both", "y_std"], 0.75 * 0.1 + 0.25 * 0.5)
    assert fc.loc[fc["model"] == "one without", "y_std"].isna().all()
    rows = result.set_index("model")
    assert rows.loc["both", "coverage"].between(0, 1).all()
    assert rows.loc["one without", "coverage"].isna().all()
    # The same forecasts as "narrow" and "wide" (both the last value): coverage lies between.
    for fold in range(3):
        cov = result[result["fold"] == fold].set_index("model")["coverage"]
        assert cov["narrow"] <= cov["both"] <= cov["wide"]


def test_forecast_combination_of_several_series():
    other = 5 + np.cos(2 * np.pi * T[:200] / 12)
    models = {
        "last": LastValueForecaster(),
        "hw": HoltWintersForecaster(season=12),
        "mean": ForecastCombination(["last", "hw"]),
    }
    result, fc = backtest([SEASONAL, other], models, lookback=24, horizon=2, season=12,
                          return_forecasts=True)  # fmt: skip
    assert set(fc["series"]) == {0, 1}
    pred = fc.pivot_table(index=["fold", "series", "origin", "step"], columns="model",
                          values="y_pred")  # fmt: skip
    np.testing.assert_allclose(pred["mean"], (pred["last"] + pred["hw"]) / 2)
    assert result["mase"].notna().all()


def _replay_adaptive(fc, model, coverage=0.8, step_size=0.02):
    """AdaptiveIntervals by hand over a backtest's forecasts: each series' windows in
    time order, each outcome fed back once observed (before the origin of a later window)."""
    rows = fc[fc["model"] == model]
    lower = pd.Series(np.nan, index=rows.index)
    upper = lower.copy()
    for _, part in rows.groupby("series"):
        aci = AdaptiveIntervals(coverage, step_size=step_size)
        observed = (part["origin"] + part["step"] - 1).to_numpy()
        fed = np.zeros(len(part), dtype=bool)
        for origin, window in part.groupby("origin", sort=True):
            new = ~fed & (observed < origin)
            aci.update(part["y_true"][new], lower[part.index[new]], upper[part.index[new]])
            fed |= new
            lower[window.index], upper[window.index] = aci.interval(
                window["y_pred"], window["y_std"]
            )
    return lower, upper


def _replay_conformal(fc, model, coverage=0.8, step_size=0.02, min_errors=5):
    """Online conformal intervals by hand, without ConformalIntervals: for each series,
    window by window in time order, the ceil((n + 1) (1 - alpha))-th smallest of the n
    absolute errors at each step observed before the window's origin; alpha moved by each
    outcome that had one."""
    rows = fc[fc["model"] == model]
    lower = pd.Series(np.nan, index=rows.index)
    upper = lower.copy()
    for _, part in rows.groupby("series"):
        alpha, errors = 1 - coverage, {}
        observed = (part["origin"] + part["step"] - 1).to_numpy()
        fed = np.zeros(len(part), dtype=bool)
        for origin, window in part.groupby("origin", sort=True):
            given = misses = 0
            for i in np.flatnonzero(~fed & (observed < origin)):
                r = part.iloc[i]
                errors.setdefault(r["step"], []).append(abs(r["y_true"] - r["y_pred"]))
                if not np.isnan(lower[part.index[i]]):
                    given += 1
                    misses += not lower[part.index[i]] <= r["y_true"] <= upper[part.index[i]]
                fed[i] = True
            # The outcomes observed together move alpha together (the same sum, in one step).
            alpha += step_size * ((1 - coverage) * given - misses)
            for j, r in window.iterrows():
                past = sorted(errors.get(r["step"], []))
                n = len(past)
                if n >= min_errors:
                    q = past[min(max(math.ceil((n + 1) * (1.0 - alpha)), 1), n) - 1]
                    lower[j], upper[j] = r["y_pred"] - q, r["y_pred"] + q
    return lower, upper


def _two_series_with_spreads(scale):
    """Two series (one noisy) and models with and without a spread (``scale``: too narrow)."""
    noisy = SEASONAL + np.random.default_rng(0).normal(0, 0.3, len(SEASONAL))
    other = 5 + np.cos(2 * np.pi * T[:200] / 12)
    models = {
        "narrow": _ConstantSpread(scale=scale),
        "hw": HoltWintersForecaster(season=12),
        "last": LastValueForecaster(),
    }
    return [noisy, other], models


def test_backtest_adaptive_intervals_follow_the_outcomes_in_time_order():
    panel, models = _two_series_with_spreads(scale=0.4)
    result, fc = backtest(panel, models, lookback=24, horizon=3, season=12, return_forecasts=True)
    for model in ("narrow", "hw"):
        lower, upper = _replay_adaptive(fc, model)
        rows = fc[fc["model"] == model]
        np.testing.assert_allclose(rows["adaptive_lower"], lower)
        np.testing.assert_allclose(rows["adaptive_upper"], upper)
        inside = rows["adaptive_lower"].le(rows["y_true"]) & rows["y_true"].le(
            rows["adaptive_upper"]
        )
        per_fold = result[result["model"] == model].set_index("fold")["adaptive_coverage"]
        np.testing.assert_allclose(per_fold, inside.groupby(rows["fold"]).mean())
    # The first window of each series gets the nominal interval; later ones adapt.
    first = fc[(fc["model"] == "narrow") & (fc["fold"] == 0)].groupby("series").head(3)
    z = norm.ppf(0.9)
    np.testing.assert_allclose(first["adaptive_upper"] - first["y_pred"], z * 0.4)
    rows = result.set_index("model")
    # A spread too narrow: its own 80% intervals hold about half the outcomes; adapted,
    # more in every fold, and near 80% once the first fold has set the level.
    own, adapted = rows.loc["narrow", "coverage"], rows.loc["narrow", "adaptive_coverage"]
    assert (own < 0.55).all() and (adapted > own).all()
    assert abs(adapted.iloc[1:].mean() - 0.8) < 0.05
    assert (rows.loc[["narrow", "hw"], "adaptive_drawn"] == 1).all()
    assert {"adaptive_coverage", "adaptive_drawn"} <= set(summarize_backtest(result))


def test_backtest_conformal_intervals_for_models_without_a_spread():
    panel, models = _two_series_with_spreads(scale=0.4)
    result, fc = backtest(panel, models, lookback=24, horizon=3, season=12, return_forecasts=True)
    rows = fc[fc["model"] == "last"]
    assert rows["y_std"].isna().all()
    lower, upper = _replay_conformal(fc, "last")
    np.testing.assert_allclose(rows["adaptive_lower"], lower)
    np.testing.assert_allclose(rows["adaptive_upper"], upper)
    # No interval until a step has 5 past errors: the first 5 + step - 1 windows
    # of each series, in the first fold; every later value has one.
    for (_, step), part in rows.groupby(["series", "step"]):
        missing = part.sort_values("origin")["adaptive_lower"].isna().to_numpy()
        assert missing[: 5 + step - 1].all() and not missing[5 + step - 1 :].any()
    given = rows["adaptive_lower"].notna()
    inside = rows["adaptive_lower"].le(rows["y_true"]) & rows["y_true"].le(rows["adaptive_upper"])
    mine = result[result["model"] == "last"].set_index("fold")
    np.testing.assert_allclose(
        mine["adaptive_coverage"], inside[given].groupby(rows["fold"][given]).mean()
    )
    np.testing.assert_allclose(mine["adaptive_drawn"], given.groupby(rows["fold"]).mean())
    assert mine.loc[0, "adaptive_drawn"] < 1 and (mine.loc[1:, "adaptive_drawn"] == 1).all()
    assert mine["coverage"].isna().all()
    # The errors grow with the step ahead, and so do the intervals.
    width = (rows["adaptive_upper"] - rows["adaptive_lower"]).groupby(rows["step"]).mean()
    assert width.is_monotonic_increasing
    assert abs(mine["adaptive_coverage"].mean() - 0.8) < 0.08


def test_backtest_adaptive_step_size():
    models = {"narrow": _ConstantSpread(scale=0.05)}
    settings = {"lookback": 24, "horizon": 2, "season": 12, "return_forecasts": True}
    result, fc = backtest(SEASONAL, models, adaptive_step_size=0.1, **settings)
    lower, upper = _replay_adaptive(fc, "narrow", step_size=0.1)
    np.testing.assert_allclose(fc["adaptive_lower"], lower)
    result, fc = backtest(
        SEASONAL, {"last": LastValueForecaster()}, adaptive_step_size=0.1, **settings
    )
    lower, upper = _replay_conformal(fc, "last", step_size=0.1)
    np.testing.assert_allclose(fc["adaptive_lower"], lower)
    result, fc = backtest(SEASONAL, models, adaptive_step_size=None, **settings)
    assert result["adaptive_coverage"].isna().all() and result["coverage"].notna().all()
    assert result["adaptive_drawn"].isna().all()
    assert fc[["adaptive_lower", "adaptive_upper"]].isna().all().all()
    for bad in (0, -0.1, np.inf, True, "0.05"):
        with pytest.raises(
            ValueError, match="adaptive_step_size must be a finite number > 0, or N"
        ):
            backtest(SEASONAL, models, adaptive_step_size=bad, **settings)


@pytest.mark.parametrize(
    "combination, error, match",
    [
        (ForecastCombination(["last", "nowhere"]), ValueError, "names 'nowhere', which is not"),
        (ForecastCombination(["last"]), ValueError, "at least two different model names"),
        (ForecastCombination(["last", "last"]), ValueError, "at least two different"),
        (ForecastCombination("last"), TypeError, "must be a list of model names"),
        (ForecastCombination(["last", "other mean"]), ValueError, "not one of the backtest's"),
        (ForecastCombination(["last", "snaive"], weights=[1]), ValueError, "2 positive numbers"),
        (ForecastCombination(["last", "snaive"], weights=[1, -1]), ValueError, "positive"),
        (ForecastCombination(["last", "snaive"], weights=[1, np.nan]), ValueError, "positive"),
        (ForecastCombination(["last", "snaive"], weights=["a", 1]), TypeError, "must be numbers"),
    ],
)
def test_forecast_combination_bad_input_is_refused_before_any_fit(combination, error, match):
    class Unfittable(LastValueForecaster):
        def fit(self, X, y):
            raise AssertionError("fitted before the combination was checked")

    models = {
        "last": Unfittable(),
        "snaive": SeasonalNaiveForecaster(season=12),
        "other mean": ForecastCombination(["last", "snaive"]),
        "mean": combination,
    }
    with pytest.raises(error, match=match):
        backtest(SEASONAL, models, lookback=24)


def test_forecast_combination_has_no_fit_of_its_own():
    from sklearn.base import clone

    combination = ForecastCombination(["a", "b"], weights=[1, 2])
    assert clone(combination).get_params() == {"models": ["a", "b"], "weights": [1, 2]}
    X, y = make_windows(SEASONAL, lookback=12)
    with pytest.raises(TypeError, match="fits nothing of its own.*inside backtest"):
        combination.fit(X, y)


def test_plot_backtest_draws_the_models_asked_for():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_rnn.backtest import plot_backtest

    models = {
        "last": _ConstantSpread(scale=0.3),
        "snaive": SeasonalNaiveForecaster(season=12),
        "mean": ForecastCombination(["last", "snaive"]),
    }
    _, fc = backtest(SEASONAL, models, lookback=24, horizon=2, season=12, return_forecasts=True)
    every = plot_backtest(fc, SEASONAL)
    labels = [line.get_label() for line in every["forecasts"].axes[0].get_lines()]
    assert labels == ["observed", "last", "snaive", "mean"]
    two = plot_backtest(fc, SEASONAL, models=["mean", "last"])
    labels = [line.get_label() for line in two["forecasts"].axes[0].get_lines()]
    assert labels == ["observed", "mean", "last"]
    # The interval of "last" is drawn; "mean" has none (snaive predicts no spread).
    fills = [c.get_label() for c in two["forecasts"].axes[0].collections]
    assert fills == ["last 80% interval"]
    by_step = [line.get_label() for line in two["error_by_step"].axes[0].get_lines()]
    assert by_step == ["mean", "last"]
    with pytest.raises(ValueError, match=r"\['nowhere'\]; the forecasts hold"):
        plot_backtest(fc, models=["last", "nowhere"])
    with pytest.raises(ValueError, match="none given"):
        plot_backtest(fc, models=[])
    plt.close("all")


def test_plot_backtest_draws_the_adaptive_intervals():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_rnn.backtest import plot_backtest

    models = {"narrow": _ConstantSpread(scale=0.05), "last": LastValueForecaster()}
    _, fc = backtest(SEASONAL, models, lookback=24, horizon=2, season=12, return_forecasts=True)
    figure = plot_backtest(fc, SEASONAL, intervals="adaptive")["forecasts"]
    # The model without a spread gets its band from its past errors.
    band, errors_band = figure.axes[0].collections
    assert band.get_label() == "narrow interval, adapted"
    assert errors_band.get_label() == "last interval, adapted"
    last_value = fc[(fc["model"] == "last") & (fc["fold"] == 2) & (fc["step"] == 1)]
    top = errors_band.get_paths()[0].vertices[:, 1]
    assert np.isclose(top, last_value["adaptive_upper"].max()).any()
    (own,) = plot_backtest(fc, SEASONAL)["forecasts"].axes[0].collections
    assert own.get_label() == "narrow 80% interval"
    # The band's top edge is adaptive_upper of the last fold's one-step forecasts.
    last = fc[(fc["model"] == "narrow") & (fc["fold"] == 2) & (fc["step"] == 1)]
    top = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(top, last["adaptive_upper"].max()).any()
    assert last["adaptive_upper"].max() > (last["y_pred"] + norm.ppf(0.9) * 0.05).max()
    with pytest.raises(ValueError, match="intervals must be 'predicted' or 'adaptive'"):
        plot_backtest(fc, intervals="own")
    plain = fc.drop(columns=["adaptive_lower", "adaptive_upper"])
    with pytest.raises(ValueError, match="these forecasts have none"):
        plot_backtest(plain, intervals="adaptive")
    plt.close("all")


def test_forecast_fits_every_model_on_the_whole_series_and_forecasts_past_its_end():
    from sklearn_rnn import forecast_windows
    from sklearn_rnn.backtest import forecast

    models = {
        "linear": _flat_linear(),
        "hw": HoltWintersForecaster(season=12),
        "spread": _ConstantSpread(scale=0.5),
        "mean": ForecastCombination(["linear", "hw"], weights=[1, 3]),
    }
    future = forecast(SEASONAL, models, lookback=24, horizon=4)
    assert list(future.columns) == ["model", "series", "step", "y_pred", "y_std"]
    assert list(future["model"].unique()) == list(models)
    pred = future.pivot(index="step", columns="model", values="y_pred")
    X, y = make_windows(SEASONAL, lookback=24, horizon=4)
    linear = _flat_linear().fit(X, y).predict(forecast_windows(SEASONAL, 24, 4))
    np.testing.assert_allclose(pred["linear"], linear.ravel(), rtol=1e-6)
    hw = HoltWintersForecaster(season=12).fit(SEASONAL)
    expected, std = hw.forecast(SEASONAL, [len(SEASONAL)], 4, return_std=True)
    np.testing.assert_allclose(pred["hw"], expected.ravel())
    np.testing.assert_allclose(pred["mean"], 0.25 * pred["linear"] + 0.75 * pred["hw"])
    spread = future.pivot(index="step", columns="model", values="y_std")
    np.testing.assert_allclose(spread["hw"], std.ravel())
    np.testing.assert_allclose(spread["spread"], 0.5)
    assert spread["linear"].isna().all() and spread["mean"].isna().all()
    # The forecast continues the series: the seasonal sine and the trend, within 0.1.
    t = np.arange(len(SEASONAL), len(SEASONAL) + 4)
    truth = 10 + np.sin(2 * np.pi * t / 12) + 0.02 * t
    np.testing.assert_allclose(pred["hw"], truth, atol=0.1)


def test_forecast_of_several_series_with_known_future_covariates():
    from sklearn_rnn import forecast_windows
    from sklearn_rnn.backtest import forecast

    rng = np.random.default_rng(0)
    lengths = (100, 80)
    panel = [np.sin(np.arange(n) / 3) + 0.1 * rng.normal(size=n) for n in lengths]
    covariates = [np.cos(np.arange(n + 2) / 5)[:, None] for n in lengths]
    models = {"linear": _flat_linear(), "last": LastValueForecaster()}
    future = forecast(panel, models, lookback=6, horizon=2, future_covariates=covariates)
    assert future.groupby("model").size().tolist() == [4, 4]
    X, y = make_windows(panel, lookback=6, horizon=2,
                        future_covariates=[c[:n] for c, n in zip(covariates, lengths)])  # fmt: skip
    X_future = forecast_windows(panel, 6, 2, future_covariates=covariates)
    expected = _flat_linear().fit(X, y).predict(X_future)
    mine = future[future["model"] == "linear"].sort_values(["series", "step"])["y_pred"]
    np.testing.assert_allclose(mine, expected.ravel(), rtol=1e-6)
    last = future[future["model"] == "last"].sort_values(["series", "step"])["y_pred"]
    np.testing.assert_allclose(last, np.repeat([panel[0][-1], panel[1][-1]], 2), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(horizon=0), ValueError, "horizon must be an integer >= 1"),
        (dict(future_covariates=np.ones((240, 1))), ValueError, r"240 rows.*240 \+ 3 = 243"),
        (dict(future_covariates=[np.ones((243, 1))] * 2), ValueError, "holds 2 series"),
        (dict(models={"x": ForecastCombination(["a", "b"])}), ValueError, "not one of the"),
        (dict(models={"x": object()}), TypeError, "not a scikit-learn estimator"),
        (dict(models={}), ValueError, "non-empty dict"),
    ],
)
def test_forecast_bad_input(kwargs, error, match):
    from sklearn_rnn.backtest import forecast

    settings = dict(models={"last": LastValueForecaster()}, lookback=12, horizon=3)
    with pytest.raises(error, match=match):
        forecast(SEASONAL, **{**settings, **kwargs})


def test_forecast_adaptive_intervals_carry_on_from_the_backtest():
    from sklearn_rnn.backtest import forecast

    panel, models = _two_series_with_spreads(scale=0.2)
    models["mean"] = ForecastCombination(["narrow", "hw"])
    settings = {"lookback": 24, "horizon": 3}
    _, fc = backtest(panel, models, season=12, return_forecasts=True, **settings)
    future = forecast(panel, models, adaptive_from=fc, **settings)
    plain = forecast(panel, models, **settings)
    assert "adaptive_lower" not in plain
    pd.testing.assert_frame_equal(future[list(plain.columns)], plain)
    for name in ("narrow", "hw", "mean"):
        for series in (0, 1):
            rows = fc[(fc["model"] == name) & (fc["series"] == series)]
            rows = rows.assign(seen=rows["origin"] + rows["step"]).sort_values(
                "seen", kind="stable"
            )
            aci = AdaptiveIntervals().update(
                rows["y_true"], rows["adaptive_lower"], rows["adaptive_upper"]
            )
            mine = future[(future["model"] == name) & (future["series"] == series)]
            lower, upper = aci.interval(mine["y_pred"], mine["y_std"])
            np.testing.assert_allclose(mine["adaptive_lower"], lower)
            np.testing.assert_allclose(mine["adaptive_upper"], upper)
    # The spread of 0.2 is too narrow for these series: the level reached is wider than 80%.
    narrow = future[future["model"] == "narrow"]
    width = (narrow["adaptive_upper"] - narrow["adaptive_lower"]) / (2 * narrow["y_std"])
    assert (width > norm.ppf(0.9)).all()
    # The model without a spread: its errors of each step, and its level, replayed.
    for series in (0, 1):
        rows = fc[(fc["model"] == "last") & (fc["series"] == series)]
        calibrator = ConformalIntervals().update(
            rows["y_true"],
            rows["adaptive_lower"],
            rows["adaptive_upper"],
            y_pred=rows["y_pred"],
            step=rows["step"].to_numpy(),
        )
        assert calibrator.n_updates_ == rows["adaptive_lower"].notna().sum()
        mine = future[(future["model"] == "last") & (future["series"] == series)]
        lower, upper = calibrator.interval(mine["y_pred"], step=np.array([1, 2, 3]))
        np.testing.assert_allclose(mine["adaptive_lower"], lower)
        np.testing.assert_allclose(mine["adaptive_upper"], upper)
        assert np.diff(mine["adaptive_upper"] - mine["adaptive_lower"]).min() >= 0
    # Steps beyond the backtest's horizon have no past errors: no interval there.
    longer = forecast(panel, models, adaptive_from=fc, lookback=24, horizon=4)
    last = longer[longer["model"] == "last"]
    assert last["adaptive_lower"].isna().tolist() == [False, False, False, True] * 2


def test_backtest_intervals_from_errors_for_models_with_a_spread_too():
    from sklearn_rnn.backtest import forecast

    panel, models = _two_series_with_spreads(scale=0.4)
    settings = {"lookback": 24, "horizon": 3}
    result, fc = backtest(
        panel, models, season=12, adaptive_intervals="errors", return_forecasts=True, **settings
    )
    spread = backtest(panel, models, season=12, **settings)
    for model in ("narrow", "hw", "last"):
        lower, upper = _replay_conformal(fc, model)
        rows = fc[fc["model"] == model]
        np.testing.assert_allclose(rows["adaptive_lower"], lower)
        np.testing.assert_allclose(rows["adaptive_upper"], upper)
    by_model = result.set_index("model")
    # The spread no longer shapes the intervals: the first windows have none.
    assert (by_model.loc["narrow", "adaptive_drawn"].iloc[0] < 1) and (
        spread.set_index("model").loc["narrow", "adaptive_drawn"] == 1
    ).all()
    # The forecasts and their own coverage do not change.
    pd.testing.assert_series_equal(result["mae"], spread["mae"])
    pd.testing.assert_series_equal(result["coverage"], spread["coverage"])
    # forecast replays the same kind; the other kind refuses these forecasts.
    future = forecast(panel, models, adaptive_from=fc, adaptive_intervals="errors", **settings)
    rows = fc[(fc["model"] == "narrow") & (fc["series"] == 0)]
    calibrator = ConformalIntervals().update(
        rows["y_true"], rows["adaptive_lower"], rows["adaptive_upper"],
        y_pred=rows["y_pred"], step=rows["step"].to_numpy(),
    )  # fmt: skip
    mine = future[(future["model"] == "narrow") & (future["series"] == 0)]
    upper = calibrator.interval(mine["y_pred"], step=np.array([1, 2, 3]))[1]
    np.testing.assert_allclose(mine["adaptive_upper"], upper)
    with pytest.raises(ValueError, match="model 'narrow' around its spread: pass the forecasts"):
        forecast(panel, models, adaptive_from=fc, **settings)
    for call in (
        lambda: backtest(panel, models, adaptive_intervals="gaussian", **settings),
        lambda: forecast(panel, models, adaptive_from=fc, adaptive_intervals=None, **settings),
    ):
        with pytest.raises(ValueError, match="adaptive_intervals must be 'spread' or 'errors'"):
            call()


def test_forecast_intervals_from_errors_that_drew_none_in_the_backtest():
    from sklearn_rnn.backtest import forecast

    # A backtest that drew no interval (scored off here; on a short series the
    # first windows wait for 5 past errors): the errors still set the intervals.
    models = {"last": LastValueForecaster()}
    settings = {"lookback": 24, "horizon": 2}
    _, fc = backtest(SEASONAL, models, adaptive_step_size=None, return_forecasts=True, **settings)
    assert fc["adaptive_lower"].isna().all()
    future = forecast(SEASONAL, models, adaptive_from=fc, **settings)
    # At the nominal level: the ceil((n + 1) 0.8)-th smallest of each step's n errors.
    errors = (fc["y_true"] - fc["y_pred"]).abs().groupby(fc["step"])
    half = []
    for h in (1, 2):
        past = np.sort(errors.get_group(h))
        half.append(past[math.ceil((len(past) + 1) * 0.8) - 1])
    np.testing.assert_allclose(future["adaptive_upper"] - future["y_pred"], half)
    np.testing.assert_allclose(future["y_pred"] - future["adaptive_lower"], half)


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda fc: fc.to_numpy(), TypeError, "adaptive_from must be the forecasts DataFrame"),
        (lambda fc: fc.drop(columns="adaptive_lower"), ValueError, r"\(s\) \['adaptive_lower'\]"),
        (lambda fc: fc.assign(series=3), ValueError, r"holds series \[3\], which the 1 series"),
        (lambda fc: fc[fc["model"] != "hw"], ValueError, "no adaptive intervals of the model 'hw'"),
        (lambda fc: fc.assign(adaptive_lower=np.nan), ValueError, "no adaptive intervals of"),
        (lambda fc: fc[fc["model"] != "last"], ValueError, "intervals of the model 'last'"),
        (lambda fc: fc.drop(columns="y_pred"), ValueError, r"\(s\) \['y_pred'\]"),
    ],
)  # fmt: skip
def test_forecast_adaptive_from_bad_input(change, error, match):
    from sklearn_rnn.backtest import forecast

    models = {"hw": HoltWintersForecaster(season=12), "last": LastValueForecaster()}
    settings = {"lookback": 24, "horizon": 2}
    _, fc = backtest(SEASONAL, models, season=12, return_forecasts=True, **settings)
    with pytest.raises(error, match=match):
        forecast(SEASONAL, models, adaptive_from=change(fc), **settings)
    with pytest.raises(ValueError, match="adaptive_step_size must be a finite number > 0; got No"):
        forecast(SEASONAL, models, adaptive_from=fc, adaptive_step_size=None, **settings)
    with pytest.raises(ValueError, match="coverage must be in"):
        forecast(SEASONAL, models, adaptive_from=fc, coverage=80, **settings)


def test_forecast_of_several_columns_needs_the_target(monkeypatch):
    import sys

    from sklearn_rnn.backtest import forecast

    two = np.c_[np.arange(80.0), SEASONAL[:80]]
    with pytest.raises(ValueError, match="say which to forecast with target="):
        forecast(two, {"last": LastValueForecaster()}, lookback=8)
    # models=None: default_forecasters of the season and the target column.
    asked = {}

    def only_naive(season, target):
        asked.update(season=season, target=target)
        return {"last value": LastValueForecaster(target=target)}

    monkeypatch.setattr(sys.modules["sklearn_rnn.backtest"], "default_forecasters", only_naive)
    future = forecast(two, lookback=8, horizon=2, season=4, target=1)
    assert asked == {"season": 4, "target": 1}
    np.testing.assert_allclose(future["y_pred"], SEASONAL[79])
