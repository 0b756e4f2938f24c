"""The command line: ``sklearn-rnn compare ...`` (or ``python -m sklearn_rnn compare ...``).

``compare`` runs :func:`sklearn_rnn.compare.compare` on IMDB, the SMS spam
collection or your own CSV file (a text column and a label column) and writes
the table, CSV/JSON and plots. ``backtest`` runs
:func:`sklearn_rnn.backtest` on a series (a CSV column, or Mauna Loa CO2 from
statsmodels) and writes the table, CSV/JSON and plots. ``models`` lists the
named models. Bad input ends with one line on stderr and exit status 2.
"""

import argparse
import importlib
import os
import sys
import warnings

from . import __version__
from ._model_names import DEFAULT_MODELS, MODELS

# numpy, pandas, scikit-learn and torch load inside the commands, after the
# arguments are parsed: --help, --version and argument errors answer at once.

QUICK_N = 5000  # documents per split in quick mode


def _subsample(X, y, n, seed):
    """A stratified subset of n documents (all of them when n is None or too large)."""
    from sklearn.model_selection import train_test_split

    if n is None or n >= len(X):
        return X, y
    X_sub, _, y_sub, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return X_sub, y_sub


class UserError(ValueError):
    """Bad input found by the command line's own checks."""


def _read_frame(path, sep=","):
    """A CSV file as a DataFrame, with errors that say what to change."""
    import pandas as pd

    sep = "\t" if sep == "\\t" else sep  # --sep '\t' as typed in a shell
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        frame = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise UserError(
            f"{path} is not a CSV file with separator {sep!r} ({detail}); "
            "choose the separator with --sep."
        ) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        guess = next((c for c in (";", "\t", "|", ",") if c in header and c != sep), None)
        if guess is not None:
            raise UserError(
                f"{path} has one column, {header!r}, with separator {sep!r}; "
                f"its separator looks like {guess!r}: pass --sep {guess!r}."
            )
    return frame


def _rows(index, limit=5):
    """Data rows (1 = the first row after the header) as a short text."""
    shown = ", ".join(str(i + 1) for i in index[:limit])
    return shown + (", ..." if len(index) > limit else "")


def _read_csv(path, text_column, label_column, split_column, sep=",", drop_empty=False):
    frame = _read_frame(path, sep)
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in frame.columns:
            raise UserError(
                f"{path} has no {role} column {column!r}; its columns are "
                f"{list(frame.columns)} (choose with --{role}-column)."
            )
    frame = frame.reset_index(drop=True)
    no_label = frame[label_column].isna().to_numpy()
    if no_label.any():
        where = frame.index[no_label]
        raise UserError(
            f"{path}: {len(where)} rows have no label (rows {_rows(where)}; row 1 is the "
            "first after the header); fill or remove them."
        )
    texts = frame[text_column]
    if texts.notna().any() and not texts.dropna().map(lambda t: isinstance(t, str)).all():
        raise UserError(
            f"{path}: the text column {text_column!r} holds {texts.dtype} values, not text "
            f"(choose the text column with --text-column; the columns are {list(frame.columns)})."
        )
    empty = (texts.isna() | texts.fillna("").str.strip().eq("")).to_numpy()
    if empty.any():
        where = frame.index[empty]
        if not drop_empty:
            raise UserError(
                f"{path}: {len(where)} rows have no text or only white space (rows "
                f"{_rows(where)}; row 1 is the first after the header); fill them, or "
                "pass --drop-empty to leave them out."
            )
        message = f"{path}: left out {len(where)} rows with no text (rows {_rows(where)})."
        warnings.warn(message, UserWarning, stacklevel=3)
        frame = frame[~empty]
    return frame


def load_data(
    data,
    *,
    text_column="text",
    label_column="label",
    split_column="split",
    test_size=0.25,
    seed=0,
    sep=",",
    drop_empty=False,
):
    """Training and test documents for ``compare``: a named data set or a CSV path.

    A data set with an official split (IMDB, or a CSV with a ``split_column``
    holding 'train' and 'test') keeps it; otherwise a stratified ``test_size``
    share is held out with ``seed``. A CSV row without a label, or without
    text (empty or white space only), is an error naming the rows, unless
    ``drop_empty`` leaves the textless ones out.

    Returns
    -------
    X_train, y_train, X_test, y_test, title
    """
    from sklearn.model_selection import train_test_split

    from .datasets import load_imdb, load_sms_spam

    if data == "imdb":
        frame = load_imdb(as_frame=True).frame
        title = "IMDB sentiment"
    elif data == "sms_spam":
        frame = load_sms_spam(as_frame=True).frame
        title = "SMS spam"
    elif os.path.exists(data):
        frame = _read_csv(data, text_column, label_column, split_column, sep, drop_empty)
        frame = frame.rename(columns={text_column: "text", label_column: "label"})
        if split_column != "split" and split_column in frame.columns:
            frame = frame.rename(columns={split_column: "split"})
        title = os.path.basename(data)
    else:
        raise FileNotFoundError(
            f"--data must be 'imdb', 'sms_spam' or an existing CSV file; got {data!r} "
            "(no such file)."
        )
    if "split" in frame.columns and {"train", "test"} <= set(frame["split"]):
        train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
        return (
            train["text"].to_numpy(dtype=object),
            train["label"].to_numpy(),
            test["text"].to_numpy(dtype=object),
            test["label"].to_numpy(),
            title,
        )
    _check_classes(frame["label"], title, need=2, why="a stratified hold-out (--test-size)")
    X_train, X_test, y_train, y_test = train_test_split(
        frame["text"].to_numpy(dtype=object),
        frame["label"].to_numpy(),
        test_size=test_size,
        stratify=frame["label"],
        random_state=seed,
    )
    return X_train, y_train, X_test, y_test, title


def _check_classes(labels, title, need, why):
    """At least two classes, and at least ``need`` documents of each."""
    import pandas as pd

    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        only = "no labels" if len(counts) == 0 else f"one class, {counts.index.tolist()[0]!r}"
        raise UserError(f"{title}: the labels hold {only}; a classifier needs at least two.")
    few = counts[counts < need]
    if len(few):
        shown = ", ".join(f"{k!r}: {v}" for k, v in zip(few.index.tolist(), few.tolist()))
        raise UserError(
            f"{title}: {why} needs at least {need} documents of each class; "
            f"{len(few)} class(es) have fewer ({shown})."
        )


def _import_estimator(spec):
    """``name=module:attribute``: an estimator, or a callable returning one.

    The current folder is importable, as it is for ``python -m``.
    """
    name, sep, target = spec.partition("=")
    module_name, colon, attribute = target.partition(":")
    if not sep or not colon or not name or not module_name or not attribute:
        raise UserError(f"--estimator takes NAME=module:attribute; got {spec!r}.")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(
            f"--estimator {spec}: cannot import {module_name!r} ({exc}); the module must be "
            "installed or a .py file in the current folder."
        ) from None
    if not hasattr(module, attribute):
        raise UserError(f"--estimator {spec}: {module_name!r} has no {attribute!r}.")
    obj = getattr(module, attribute)
    if isinstance(obj, type) or not hasattr(obj, "fit"):
        if not callable(obj):
            raise UserError(
                f"--estimator {spec}: {attribute!r} is neither an estimator nor a function "
                "that returns one."
            )
        obj = obj()  # an estimator class, or a function that builds one
    if not hasattr(obj, "fit"):
        raise UserError(f"--estimator {spec}: {attribute}() returned {obj!r}, not an estimator.")
    return name, obj


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default (not a flag's False); keeps the descriptions' paragraphs."""

    def _get_help_string(self, action):
        if isinstance(action, (argparse._StoreTrueAction, argparse._CountAction)):
            return action.help
        return super()._get_help_string(action)

    def _fill_text(self, text, width, indent):
        return "\n\n".join(
            super(_HelpFormatter, self)._fill_text(p, width, indent) for p in text.split("\n\n")
        )


def _parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="on an error, show the Python traceback"
    )
    parser = argparse.ArgumentParser(
        prog="sklearn-rnn",
        description="Recurrent networks against bag-of-words baselines on the same splits "
        "(compare), forecasters against naive forecasts (backtest).",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{compare,backtest,models}")
    run = sub.add_parser(
        "compare",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="compare recurrent models with bag-of-words baselines on the same splits",
        description="Fit every model on the same training split, score it once on the same "
        "test split (and optionally cross-validate over the same folds); print a table and "
        "write results.csv, results.json, scores.png and curves.png. A majority-class "
        "baseline is always scored first: the floor every model must beat.\n\n"
        "IMDB is read from the file in $SKLEARN_RNN_IMDB, else from the folder "
        "$SKLEARN_RNN_DATA (default ~/sklearn_rnn_data, or its imdb/ subfolder), else "
        "downloaded (84 MB, checksum verified); SMS spam likewise ($SKLEARN_RNN_SMS_SPAM).",
    )
    run.add_argument(
        "--data",
        default="imdb",
        help="'imdb', 'sms_spam', or a CSV file with a text and a label column",
    )
    run.add_argument("--text-column", default="text", help="the CSV column holding the texts")
    run.add_argument("--label-column", default="label", help="the CSV column holding the labels")
    run.add_argument(
        "--split-column",
        default="split",
        help="CSV column with 'train'/'test' (else a stratified --test-size hold-out)",
    )
    run.add_argument("--sep", default=",", help="the CSV field separator (e.g. ';' or '\\t')")
    run.add_argument(
        "--drop-empty",
        action="store_true",
        help="leave out CSV rows without text (else they are an error naming the rows)",
    )
    run.add_argument(
        "--test-size",
        type=float,
        default=0.25,
        help="share of the documents held out for testing when the data has no split",
    )
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help=f"small models on stratified subsets of {QUICK_N} documents per split",
    )
    mode.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="full-size models on the whole split",
    )
    run.set_defaults(mode="quick")
    run.add_argument(
        "--n-train", type=int, help="stratified subset of the training split (quick: 5000)"
    )
    run.add_argument("--n-test", type=int, help="stratified subset of the test split (quick: 5000)")
    run.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated named models, from: {', '.join(MODELS)}",
    )
    run.add_argument(
        "--estimator",
        action="append",
        default=[],
        metavar="NAME=module:attr",
        help="add your own estimator (or a function returning one) from an installed module "
        "or a .py file in the current folder; repeatable",
    )
    run.add_argument("--cv", type=int, help="also cross-validate on the training split, K folds")
    run.add_argument("--seed", type=int, default=0, help="seed of the split, folds and models")
    run.add_argument(
        "--output-dir",
        default=os.path.join("results", "compare"),
        help="where the report goes; each model's result is written there as soon as it is done",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="keep the models finished in --output-dir by an earlier run under the same "
        "protocol (data, split, seed, parameters) and fit only the others",
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=1,
        help="-v prints the networks' epoch tables instead of progress bars",
    )
    run.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors and warnings"
    )
    bt = sub.add_parser(
        "backtest",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="score forecasters on a series by rolling origin against naive forecasts",
        description="Cut the series into windows, fit every model on the same time-ordered "
        "folds and score its forecasts of each fold (MAE, RMSE, MASE, interval coverage); "
        "print a table and write results.csv, forecasts.csv, results.json, forecasts.png, "
        "forecasts_adaptive.png (the intervals adapted to the misses) and error_by_step.png; "
        "with --forecast also future.csv and future.png.",
    )
    bt.add_argument(
        "--data",
        required=True,
        help="a CSV file (the series in --column, oldest first), or 'co2' (monthly Mauna "
        "Loa CO2 from statsmodels)",
    )
    bt.add_argument("--column", help="the CSV column to forecast (required for a CSV)")
    bt.add_argument("--sep", default=",", help="the CSV field separator (e.g. ';' or '\\t')")
    bt.add_argument(
        "--series-column",
        help="a CSV column naming the series of each row: several series (each oldest first) "
        "forecast by one model of all of them",
    )
    bt.add_argument(
        "--covariates",
        help="comma-separated CSV columns known ahead of time (calendar, holidays): the "
        "windows also read them for the steps they forecast",
    )
    bt.add_argument("--lookback", type=int, required=True, help="steps each window reads")
    bt.add_argument("--horizon", type=int, default=1, help="steps ahead to forecast")
    bt.add_argument("--season", type=int, default=1, help="steps per season (MASE, naive)")
    bt.add_argument("--folds", type=int, default=3, help="rolling-origin folds")
    bt.add_argument("--test-size", type=int, help="time steps per fold (default: a tenth)")
    bt.add_argument("--max-train-size", type=int, help="at most this many training windows")
    bt.add_argument(
        "--intervals",
        action="store_true",
        help="the LSTMs also predict their spread (loss='gaussian_nll', calibrated on the "
        "latest training windows: validation_split='last'): 80%% intervals",
    )
    bt.add_argument(
        "--adaptive-step-size",
        type=float,
        default=0.02,
        help="step size of the intervals that adapt to the misses seen so far, scored as "
        "adaptive_coverage for every model (AdaptiveIntervals around a spread, "
        "ConformalIntervals from past errors without one); 0: not scored",
    )
    bt.add_argument(
        "--adaptive-intervals",
        choices=("spread", "errors"),
        default="spread",
        help="where a model predicts its spread, draw its adaptive intervals around it, or "
        "from its past errors like the other models'",
    )
    bt.add_argument(
        "--rebased",
        action="store_true",
        help="also Ridge and the LSTM fitted to the change since each window's last value "
        "(RebasedRegressor): they follow trends, and may lose on series that revert to a mean",
    )
    bt.add_argument(
        "--season-dummies",
        action="store_true",
        help="also give every model the position in the season (one-hot, --season columns, "
        "counted back from each series' last row) as a known-future covariate, after any "
        "--covariates; it can hurt series whose season grows with the level",
    )
    bt.add_argument(
        "--forecast",
        action="store_true",
        help="then fit every model on the whole series and forecast the --horizon steps after "
        "its end, with the adaptive intervals the backtest left (future.csv, future.png); "
        "not with --covariates, whose future values the CSV does not hold",
    )
    bt.add_argument("--seed", type=int, default=0, help="seed of the networks")
    bt.add_argument(
        "--output-dir", default=os.path.join("results", "backtest"), help="where the report goes"
    )
    sub.add_parser(
        "models", parents=[common], formatter_class=_HelpFormatter, help="list the named models"
    )
    return parser


def _numeric_column(frame, data, column):
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna()
    if bad.any():
        raise UserError(
            f"{data}: column {column!r} has {int(bad.sum())} missing or non-numeric values "
            f"(rows {_rows(frame.index[bad])}; row 1 is the first after the header); fill or "
            "interpolate them first."
        )
    return values.to_numpy(dtype=np.float64)


def load_series(data, column=None, series_column=None, covariates=None, sep=","):
    """The series for ``backtest``: a CSV column, or 'co2' (monthly, statsmodels).

    Returns ``(values, covariates, title)``: with ``series_column``, lists of
    one array per series (in the order they first appear); ``covariates``
    is None without covariate columns.
    """
    if data == "co2":
        if series_column or covariates:
            raise ValueError("--series-column and --covariates read a CSV, not --data co2.")
        import statsmodels.api as sm

        weekly = sm.datasets.co2.load_pandas().data["co2"]
        values = weekly.resample("MS").mean().interpolate().to_numpy()
        return values, None, "Mauna Loa CO2 (monthly)"
    if not os.path.exists(data):
        raise FileNotFoundError(
            f"--data must be 'co2' or an existing CSV file; got {data!r} (no such file)."
        )
    frame = _read_frame(data, sep)
    if column is None or column not in frame.columns:
        raise ValueError(
            f"{data}: choose the series with --column, one of {list(frame.columns)}"
            + ("." if column is None else f"; got {column!r}.")
        )
    names = [c.strip() for c in covariates.split(",")] if covariates else []
    for name in names + ([series_column] if series_column else []):
        if name not in frame.columns:
            raise ValueError(f"{data}: no column {name!r}; the columns are {list(frame.columns)}.")
    values = _numeric_column(frame, data, column)
    import numpy as np

    known = np.column_stack([_numeric_column(frame, data, c) for c in names]) if names else None
    title = f"{os.path.basename(data)}: {column}"
    if not series_column:
        return values, known, title
    groups = frame.groupby(series_column, sort=False).indices
    values = [values[rows] for rows in groups.values()]
    known = None if known is None else [known[rows] for rows in groups.values()]
    return values, known, f"{title}, {len(groups)} series by {series_column!r}"


def _season_dummies(n_steps, season):
    """The position in the season of each of ``n_steps`` steps, one-hot: (n_steps, season).

    Counted back from the last step, which is in the last column, so that
    series of different lengths that end together (as :func:`backtest` aligns
    them) share each step's position.
    """
    import numpy as np

    return np.eye(season)[(np.arange(n_steps) - n_steps) % season]


def _with_season_dummies(values, covariates, season):
    """``--season-dummies``: the known-future covariates, the position in the season after them."""
    import numpy as np

    if season < 2:
        raise UserError(
            f"--season-dummies needs --season of 2 or more (the steps per season); got {season}."
        )
    if isinstance(values, list):  # several series (--series-column)
        known = covariates or [None] * len(values)
        return [_with_season_dummies(v, k, season) for v, k in zip(values, known)]
    dummies = _season_dummies(len(values), season)
    return dummies if covariates is None else np.column_stack([covariates, dummies])


def _future_season_dummies(values, season, horizon):
    """``--season-dummies`` for each series and the ``horizon`` steps after its end.

    The series' own rows are :func:`_season_dummies` (its last step in the
    last column); the future ones go on from there.
    """
    import numpy as np

    if isinstance(values, list):
        return [_future_season_dummies(v, season, horizon) for v in values]
    n = len(values)
    return np.eye(season)[(np.arange(n + horizon) - n) % season]


def _windows(args):
    """The settings that ``backtest`` and ``forecast`` share."""
    return {"lookback": args.lookback, "horizon": args.horizon, "season": args.season}


def _forecast_past_the_end(args, values, models, forecasts, adaptive_step_size):
    """``--forecast``: every model fitted on the whole series; the table and ``future.csv``."""
    from .backtest import forecast

    covariates = None
    if args.season_dummies:
        covariates = _future_season_dummies(values, args.season, args.horizon)
    future = forecast(
        values,
        models,
        **_windows(args),
        future_covariates=covariates,
        adaptive_from=forecasts if adaptive_step_size is not None else None,
        adaptive_step_size=adaptive_step_size or 0.02,
        adaptive_intervals=args.adaptive_intervals,
    )
    future.to_csv(os.path.join(args.output_dir, "future.csv"), index=False)
    first = future[future["series"] == 0]
    table = first.pivot(index="model", columns="step", values="y_pred").loc[list(models)]
    print(
        f"\nForecasts of the {args.horizon} steps after the end"
        + (" (the first series)" if isinstance(values, list) else "")
        + ", every model fitted on the whole series; intervals in future.csv:"
    )
    print(table.round(4).to_string())
    return future


def _plot_future(future, series, summary):
    """The series' last steps, each model's forecast after them, the best one's interval."""
    import matplotlib.pyplot as plt
    import numpy as np

    first = future[future["series"] == 0]
    # No MASE (a constant history has no scale): no model is called best.
    best = summary["mase"].idxmin() if summary["mase"].notna().any() else None
    horizon = int(first["step"].max())
    shown = np.asarray(series, dtype=float)
    start = max(0, len(shown) - 4 * horizon)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.plot(range(start, len(shown)), shown[start:], color="black", label="observed")
    for name, rows in first.groupby("model", sort=False):
        steps = len(shown) - 1 + rows["step"].to_numpy()
        line = ax.plot(steps, rows["y_pred"], label=name, alpha=0.8, lw=2 if name == best else 1)
        if name == best and "adaptive_lower" in rows and rows["adaptive_lower"].notna().any():
            ax.fill_between(
                steps, rows["adaptive_lower"], rows["adaptive_upper"],
                color=line[0].get_color(), alpha=0.2, label=f"{name} interval, adapted",
            )  # fmt: skip
    ax.set_xlabel("step of the series")
    ax.set_title(
        "Forecasts after the end"
        + (f" (best in the backtest by MASE: {best})" if best is not None else "")
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    return fig


def _adaptive_step_size(value):
    """--adaptive-step-size as backtest takes it: 0 is None (not scored)."""
    if value == 0:
        return None
    if not 0 < value < float("inf"):  # negative, infinite or NaN
        raise UserError(f"--adaptive-step-size must be a finite number >= 0; got {value}.")
    return value


def _run_backtest(args):
    import json

    from .backtest import (
        RebasedRegressor,
        backtest,
        default_forecasters,
        plot_backtest,
        summarize_backtest,
    )

    if args.forecast and args.covariates:
        raise UserError(
            "--forecast cannot forecast with --covariates: it needs their values for the "
            f"{args.horizon} steps after the series' end, which the CSV does not hold; from "
            "Python, sklearn_rnn.backtest.forecast(..., future_covariates=...) takes them."
        )
    adaptive_step_size = _adaptive_step_size(args.adaptive_step_size)
    values, covariates, title = load_series(
        args.data, args.column, args.series_column, args.covariates, args.sep
    )
    if args.season_dummies:
        covariates = _with_season_dummies(values, covariates, args.season)
    models = default_forecasters(args.season, random_state=args.seed, intervals=args.intervals)
    if args.rebased:  # the series' own column comes first; backtest clones every model
        models["rebased ridge"] = RebasedRegressor(models["ridge"])
        models["rebased lstm"] = RebasedRegressor(models["lstm"])
    result, forecasts = backtest(
        values,
        models,
        **_windows(args),
        future_covariates=covariates,
        n_splits=args.folds,
        test_size=args.test_size,
        max_train_size=args.max_train_size,
        adaptive_step_size=adaptive_step_size,
        adaptive_intervals=args.adaptive_intervals,
        return_forecasts=True,
    )
    summary = summarize_backtest(result)
    steps = sum(map(len, values)) if isinstance(values, list) else len(values)
    print(
        f"{title}: {steps} steps, windows of {args.lookback} in, {args.horizon} out, "
        f"{args.folds} rolling-origin folds"
    )
    print(summary.round(4).to_string())
    os.makedirs(args.output_dir, exist_ok=True)
    result.to_csv(os.path.join(args.output_dir, "results.csv"), index=False)
    forecasts.to_csv(os.path.join(args.output_dir, "forecasts.csv"), index=False)
    future = None
    if args.forecast:
        future = _forecast_past_the_end(args, values, models, forecasts, adaptive_step_size)
    settings = {k: v for k, v in vars(args).items() if k != "command"}
    lstm = models["lstm"][-1]
    with open(os.path.join(args.output_dir, "results.json"), "w") as f:
        json.dump(
            {
                "title": title,
                "settings": settings,
                "lstm_params": {k: repr(v) for k, v in lstm.get_params().items()},
                "summary": json.loads(summary.to_json(orient="index")),
                "folds": json.loads(result.to_json(orient="records")),
            },
            f,
            indent=1,
        )
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install matplotlib).")
        return 0
    shown = values[0] if isinstance(values, list) else values  # the first series
    figures = plot_backtest(forecasts, shown)
    if adaptive_step_size is not None:
        adapted = plot_backtest(forecasts, shown, intervals="adaptive")
        figures["forecasts_adaptive"] = adapted["forecasts"]
        plt.close(adapted["error_by_step"])
    for name, fig in figures.items():
        fig.savefig(os.path.join(args.output_dir, f"{name}.png"), dpi=110)
        plt.close(fig)
    if future is not None:
        fig = _plot_future(future, shown, summary)
        fig.savefig(os.path.join(args.output_dir, "future.png"), dpi=110)
        plt.close(fig)
    print(f"written to {args.output_dir}")
    return 0


def main(argv=None):
    """Entry point of the ``sklearn-rnn`` console script.

    Bad input ends with one line on stderr, ``sklearn-rnn COMMAND: error:
    ...``, and exit status 2, as argparse's own errors do (``--debug`` shows
    the traceback instead); warnings print as one line each. Ctrl-C ends
    with one line and exit status 130, keeping the models already finished.
    """
    args = _parser().parse_args(argv)
    prog = f"sklearn-rnn {args.command}"

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"{prog}: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        if not args.debug:
            warnings.showwarning = one_line
        try:
            return _main(args)
        except KeyboardInterrupt:
            if args.debug:
                raise
            where = getattr(args, "output_dir", None)
            kept = f"; finished models are kept in {where} (rerun with --resume)" if where else ""
            print(f"{prog}: interrupted{kept}", file=sys.stderr)
            return 130
        except (ValueError, TypeError, OSError, ImportError) as exc:
            if args.debug:
                raise
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 2


def _one_line(exc):
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    return text or type(exc).__name__


def _main(args):
    if args.command == "backtest":
        return _run_backtest(args)
    if args.command == "models":
        for name, description in MODELS.items():
            print(f"{name:14s} {description}")
        return 0
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise UserError(f"unknown model(s) {unknown}; the named models are {list(MODELS)}.")
    if not 0 < args.test_size < 1:
        raise UserError(f"--test-size must be between 0 and 1; got {args.test_size}.")
    for option in ("cv", "n_train", "n_test"):
        value = getattr(args, option)
        if value is not None and value < (2 if option == "cv" else 1):
            flag = "--" + option.replace("_", "-")
            raise UserError(f"{flag} must be at least {2 if option == 'cv' else 1}; got {value}.")
    models += [_import_estimator(spec) for spec in args.estimator]
    X_train, y_train, X_test, y_test, title = load_data(
        args.data,
        text_column=args.text_column,
        label_column=args.label_column,
        split_column=args.split_column,
        test_size=args.test_size,
        seed=args.seed,
        sep=args.sep,
        drop_empty=args.drop_empty,
    )
    n_train, n_test = args.n_train, args.n_test
    if args.mode == "quick":
        n_train = n_train or QUICK_N
        n_test = n_test or QUICK_N
    X_train, y_train = _subsample(X_train, y_train, n_train, args.seed)
    X_test, y_test = _subsample(X_test, y_test, n_test, args.seed)
    _check_classes(y_train, f"{title} (training split)", need=args.cv or 1, why="--cv")
    verbose = 0 if args.quiet else args.verbose
    if verbose:
        import numpy as np

        classes, counts = np.unique(y_train, return_counts=True)
        print(
            f"{title}: {len(X_train)} training and {len(X_test)} test documents, "
            f"classes {dict(zip(classes.tolist(), counts.tolist()))} (training), "
            f"mode {args.mode}, seed {args.seed}"
        )
    from .compare import compare

    compare(
        X_train,
        y_train,
        X_test,
        y_test,
        models=models,
        mode=args.mode,
        cv=args.cv,
        random_state=args.seed,
        output_dir=args.output_dir,
        title=f"{title} ({args.mode})",
        verbose=verbose,
        resume=args.resume,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
