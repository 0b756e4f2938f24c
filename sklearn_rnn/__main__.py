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
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .compare import DEFAULT_MODELS, MODELS, compare
from .datasets import load_imdb, load_sms_spam

QUICK_N = 5000  # documents per split in quick mode


def _subsample(X, y, n, seed):
    """A stratified subset of n documents (all of them when n is None or too large)."""
    if n is None or n >= len(X):
        return X, y
    X_sub, _, y_sub, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return X_sub, y_sub


def _read_csv(path, text_column, label_column, split_column):
    frame = pd.read_csv(path)
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in frame.columns:
            raise ValueError(
                f"{path} has no {role} column {column!r}; its columns are "
                f"{list(frame.columns)} (choose with --{role}-column)."
            )
    bad = frame[text_column].isna() | frame[label_column].isna()
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise ValueError(
            f"{path}: {int(bad.sum())} rows have no text or no label (first rows {rows}); "
            "remove or fill them first."
        )
    return frame


def load_data(
    data, *, text_column="text", label_column="label", split_column="split", test_size=0.25, seed=0
):
    """Training and test documents for ``compare``: a named data set or a CSV path.

    A data set with an official split (IMDB, or a CSV with a ``split_column``
    holding 'train' and 'test') keeps it; otherwise a stratified ``test_size``
    share is held out with ``seed``.

    Returns
    -------
    X_train, y_train, X_test, y_test, title
    """
    if data == "imdb":
        frame = load_imdb(as_frame=True).frame
        title = "IMDB sentiment"
    elif data == "sms_spam":
        frame = load_sms_spam(as_frame=True).frame
        title = "SMS spam"
    elif os.path.exists(data):
        frame = _read_csv(data, text_column, label_column, split_column)
        frame = frame.rename(columns={text_column: "text", label_column: "label"})
        if split_column != "split" and split_column in frame.columns:
            frame = frame.rename(columns={split_column: "split"})
        title = os.path.basename(data)
    else:
        raise ValueError(
            f"--data must be 'imdb', 'sms_spam' or an existing CSV file; got {data!r}."
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
    X_train, X_test, y_train, y_test = train_test_split(
        frame["text"].to_numpy(dtype=object),
        frame["label"].to_numpy(),
        test_size=test_size,
        stratify=frame["label"],
        random_state=seed,
    )
    return X_train, y_train, X_test, y_test, title


def _import_estimator(spec):
    """``name=module:attribute``: an estimator, or a callable returning one."""
    name, sep, target = spec.partition("=")
    module_name, colon, attribute = target.partition(":")
    if not sep or not colon or not name:
        raise ValueError(f"--estimator takes NAME=module:attribute; got {spec!r}.")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, type) or not hasattr(obj, "fit"):
        obj = obj()  # an estimator class, or a function that builds one
    return name, obj


def _parser():
    parser = argparse.ArgumentParser(prog="sklearn-rnn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "compare",
        help="compare recurrent models with bag-of-words baselines on the same splits",
        description="Fit every model on the same training split, score it once on the same "
        "test split (and optionally cross-validate over the same folds); print a table and "
        "write results.csv, results.json, scores.png and curves.png.",
    )
    run.add_argument(
        "--data",
        default="imdb",
        help="'imdb' (default), 'sms_spam', or a CSV file with a text and a label column",
    )
    run.add_argument("--text-column", default="text")
    run.add_argument("--label-column", default="label")
    run.add_argument(
        "--split-column",
        default="split",
        help="CSV column with 'train'/'test' (else a stratified --test-size hold-out)",
    )
    run.add_argument("--test-size", type=float, default=0.25)
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help=f"small models on stratified subsets of {QUICK_N} documents (default)",
    )
    mode.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="full-size models on the whole split",
    )
    run.set_defaults(mode="quick")
    run.add_argument("--n-train", type=int, help="stratified subset of the training split")
    run.add_argument("--n-test", type=int, help="stratified subset of the test split")
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
        help="add your own estimator (or a function returning one); repeatable",
    )
    run.add_argument("--cv", type=int, help="also cross-validate on the training split, K folds")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--output-dir", default=os.path.join("results", "compare"))
    run.add_argument(
        "-v", "--verbose", action="count", default=1, help="-v also prints the networks' epochs"
    )
    run.add_argument("-q", "--quiet", action="store_true")
    bt = sub.add_parser(
        "backtest",
        help="score forecasters on a series by rolling origin against naive forecasts",
        description="Cut the series into windows, fit every model on the same time-ordered "
        "folds and score its forecasts of each fold (MAE, RMSE, MASE, interval coverage); "
        "print a table and write results.csv, forecasts.csv, results.json, forecasts.png "
        "and error_by_step.png.",
    )
    bt.add_argument(
        "--data",
        required=True,
        help="a CSV file (the series in --column, oldest first), or 'co2' (monthly Mauna "
        "Loa CO2 from statsmodels)",
    )
    bt.add_argument("--column", help="the CSV column to forecast (required for a CSV)")
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
    bt.add_argument("--folds", type=int, default=3)
    bt.add_argument("--test-size", type=int, help="time steps per fold (default: a tenth)")
    bt.add_argument("--max-train-size", type=int, help="at most this many training windows")
    bt.add_argument(
        "--intervals",
        action="store_true",
        help="the LSTM also predicts its spread (loss='gaussian_nll'): 80%% intervals",
    )
    bt.add_argument("--seed", type=int, default=0)
    bt.add_argument("--output-dir", default=os.path.join("results", "backtest"))
    sub.add_parser("models", help="list the named models")
    return parser


def _numeric_column(frame, data, column):
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna()
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise ValueError(
            f"{data}: column {column!r} has {int(bad.sum())} missing or non-numeric values "
            f"(first rows {rows}); fill or interpolate them first."
        )
    return values.to_numpy(dtype=np.float64)


def load_series(data, column=None, series_column=None, covariates=None):
    """The series for ``backtest``: a CSV column, or 'co2' (monthly, statsmodels).

    Returns ``(values, covariates, title)``: with ``series_column``, lists of
    one array per series (in the order they first appear); ``covariates``
    is None without covariate columns.
    """
    if data == "co2":
        if series_column or covariates:
            raise ValueError("--series-column and --covariates read a CSV, not --data co2.")
        try:
            import statsmodels.api as sm
        except ImportError:
            raise ValueError(
                "--data co2 reads statsmodels' data set: pip install statsmodels."
            ) from None
        weekly = sm.datasets.co2.load_pandas().data["co2"]
        values = weekly.resample("MS").mean().interpolate().to_numpy()
        return values, None, "Mauna Loa CO2 (monthly)"
    if not os.path.exists(data):
        raise ValueError(f"--data must be 'co2' or an existing CSV file; got {data!r}.")
    frame = pd.read_csv(data)
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
    known = np.column_stack([_numeric_column(frame, data, c) for c in names]) if names else None
    title = f"{os.path.basename(data)}: {column}"
    if not series_column:
        return values, known, title
    groups = frame.groupby(series_column, sort=False).indices
    values = [values[rows] for rows in groups.values()]
    known = None if known is None else [known[rows] for rows in groups.values()]
    return values, known, f"{title}, {len(groups)} series by {series_column!r}"


def _run_backtest(args):
    from .backtest import backtest, default_forecasters, plot_backtest, summarize_backtest

    values, covariates, title = load_series(
        args.data, args.column, args.series_column, args.covariates
    )
    models = default_forecasters(args.season, random_state=args.seed)
    if args.intervals:
        models["lstm"].set_params(lstmregressor__loss="gaussian_nll")
    result, forecasts = backtest(
        values,
        models,
        lookback=args.lookback,
        horizon=args.horizon,
        season=args.season,
        future_covariates=covariates,
        n_splits=args.folds,
        test_size=args.test_size,
        max_train_size=args.max_train_size,
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
    except ImportError:
        print("matplotlib is not installed: no plots (pip install matplotlib).")
        return 0
    shown = values[0] if isinstance(values, list) else values  # the first series
    for name, fig in plot_backtest(forecasts, shown).items():
        fig.savefig(os.path.join(args.output_dir, f"{name}.png"), dpi=110)
    print(f"written to {args.output_dir}")
    return 0


def main(argv=None):
    """Entry point of the ``sklearn-rnn`` console script.

    Bad input (a ``ValueError`` or ``TypeError`` naming the problem) ends
    with one line on stderr and exit status 2, as argparse's own errors do.
    """
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except (ValueError, TypeError) as exc:
        print(f"sklearn-rnn {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _main(args):
    if args.command == "backtest":
        return _run_backtest(args)
    if args.command == "models":
        for name, description in MODELS.items():
            print(f"{name:14s} {description}")
        return 0
    X_train, y_train, X_test, y_test, title = load_data(
        args.data,
        text_column=args.text_column,
        label_column=args.label_column,
        split_column=args.split_column,
        test_size=args.test_size,
        seed=args.seed,
    )
    n_train, n_test = args.n_train, args.n_test
    if args.mode == "quick":
        n_train = n_train or QUICK_N
        n_test = n_test or QUICK_N
    X_train, y_train = _subsample(X_train, y_train, n_train, args.seed)
    X_test, y_test = _subsample(X_test, y_test, n_test, args.seed)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    models += [_import_estimator(spec) for spec in args.estimator]
    verbose = 0 if args.quiet else args.verbose
    if verbose:
        classes, counts = np.unique(y_train, return_counts=True)
        print(
            f"{title}: {len(X_train)} training and {len(X_test)} test documents, "
            f"classes {dict(zip(classes.tolist(), counts.tolist()))} (training), "
            f"mode {args.mode}, seed {args.seed}"
        )
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
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
