"""Budget-aware hyperparameter search: the best score each method finds per minute, same budget.

One search space (24 configurations of ``RNNClassifier`` behind
``TextTokenizer``: cell, hidden size, learning rate, embedding dropout) is
searched on a stratified 60/20/20 train/validation/test split of each data set
by:

- ``grid``: every configuration once, trained as a user trains it (the
  defaults' early stopping on 10% of the training part, at most
  ``--max-epochs`` epochs), through ``RandomizedSearchCV`` over the grid's
  lists, which visits the whole grid in a random order; its time is the
  budget of the others, and its curve at a fraction of the budget is a random
  search of that size;
- ``halving``: ``HalvingGridSearchCV`` with epochs as the resource
  (``resource="rnnclassifier__max_epochs"``, factor 3: every configuration
  ``--max-epochs / 9`` epochs, the best third three times longer, the best
  ninth ``--max-epochs``), early stopping off; each round trains from scratch;
- ``optuna``: Optuna's TPE sampler with its Hyperband pruner; a trial trains
  one epoch at a time (``partial_fit`` on the tokenized texts), reports its
  validation accuracy after each, and is pruned when it trails; the study
  runs until the grid's time is spent;
- ``optuna-noprune`` (not run by default): the same sampler without pruning,
  each trial ``--max-epochs`` epochs, to tell the sampler's part from the
  pruner's.

Every method scores its models on the same validation part. Each time a
model is scored the clock is read, which draws each method's curve: the best
validation accuracy found so far against the minutes since it started. The
table gives that best at a quarter, half and all of the budget, the minutes
each method took to come within 0.5 points of the grid's final best, and the
test accuracy of each method's pick, refitted the grid's way (defaults'
early stopping) on the training part, so every pick is judged alike. The
curves go to ``--out``.

    python benchmarks/bench_search.py [--sets cr,mpqa,subj] [--seeds 0]
        [--methods grid,halving,optuna] [--max-epochs 18]
        [--out benchmarks/results/bench_search.json] [--append]

Needs ``optuna`` (the ``benchmarks`` extra). One process, one search at a
time, on a quiet machine: the minutes are wall-clock minutes of this
machine's cores.
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from bench_accuracy import load
from sklearn.model_selection import (
    PredefinedSplit,
    RandomizedSearchCV,
    train_test_split,
)
from sklearn.pipeline import make_pipeline

from sklearn.experimental import enable_halving_search_cv  # noqa: F401  isort: skip
from sklearn.model_selection import HalvingGridSearchCV  # isort: skip

from run_all import cpu_description  # benchmarks/run_all.py, beside this script

from sklearn_rnn import RNNClassifier, TextTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))

#: The search space: 2 x 2 x 3 x 2 = 24 configurations, good and bad ones.
SPACE = {
    "cell": ["lstm", "gru"],
    "hidden_size": [32, 128],
    "lr": [3e-4, 1e-3, 3e-3],
    "embedding_dropout": [0.0, 0.5],
}
METHODS = ("grid", "halving", "optuna", "optuna-noprune")


class Clock:
    """Reads the time and the score each time a model is scored: a method's curve."""

    def __init__(self):
        self.start = time.perf_counter()
        self.points = []  # (seconds since start, validation accuracy)

    def record(self, score):
        self.points.append((time.perf_counter() - self.start, float(score)))

    def scorer(self, estimator, X, y):
        score = estimator.score(X, y)
        self.record(score)
        return score

    def best_by(self, seconds):
        found = [s for t, s in self.points if t <= seconds]
        return max(found) if found else float("nan")

    def time_to(self, target):
        best = -np.inf
        for t, s in self.points:
            best = max(best, s)
            if best >= target:
                return t
        return float("nan")


def _pipeline(seed, **params):
    return make_pipeline(
        TextTokenizer(),
        # One recurrent network alone: the models of the recorded runs.
        RNNClassifier(ensemble_size=1, linear_ngrams=0, random_state=seed, **params),
    )


def _grid_params():
    return {f"rnnclassifier__{k}": v for k, v in SPACE.items()}


def search_grid(X, y, split, seed, max_epochs):
    clock = Clock()
    search = RandomizedSearchCV(
        _pipeline(seed, max_epochs=max_epochs),
        _grid_params(),
        n_iter=int(np.prod([len(v) for v in SPACE.values()])),
        scoring=clock.scorer,
        cv=split,
        refit=False,
        random_state=seed,
    ).fit(X, y)
    return clock, search.best_params_, len(search.cv_results_["params"])


def search_halving(X, y, split, seed, max_epochs):
    clock = Clock()
    search = HalvingGridSearchCV(
        _pipeline(seed, early_stopping=False),
        _grid_params(),
        resource="rnnclassifier__max_epochs",
        min_resources=max(1, max_epochs // 9),
        max_resources=max_epochs,
        factor=3,
        scoring=clock.scorer,
        cv=split,
        refit=False,
        return_train_score=False,  # the clock reads validation scores only
        random_state=seed,
    ).fit(X, y)
    params = dict(search.best_params_)
    params.pop("rnnclassifier__max_epochs", None)
    return clock, params, int(search.n_candidates_[0])


def search_optuna(X_train, y_train, X_valid, y_valid, seed, max_epochs, budget_s, prune=True):
    """TPE + Hyperband over epochs: the recipe of the user guide's search section."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    clock = Clock()
    tokenizer = TextTokenizer().fit(X_train)  # tokenize once: trials train on ids
    ids_train, ids_valid = tokenizer.transform(X_train), tokenizer.transform(X_valid)
    classes = np.unique(y_train)

    def objective(trial):
        params = {k: trial.suggest_categorical(k, v) for k, v in SPACE.items()}
        clf = RNNClassifier(
            **params,
            ensemble_size=1,
            linear_ngrams=0,
            max_epochs=1,
            early_stopping=False,
            random_state=seed,
        )
        best = -np.inf
        for epoch in range(1, max_epochs + 1):
            clf.partial_fit(ids_train, y_train, classes=classes)  # one more epoch
            score = clf.score(ids_valid, y_valid)
            clock.record(score)
            best = max(best, score)
            trial.report(score, epoch)
            if time.perf_counter() - clock.start > budget_s:
                trial.study.stop()  # the budget is spent: this trial is the last
                break
            if prune and trial.should_prune():
                raise optuna.TrialPruned()
        return best

    pruner = (
        optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs, reduction_factor=3)
        if prune
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner
    )
    while time.perf_counter() - clock.start < budget_s:
        study.optimize(objective, n_trials=1)
    return (
        clock,
        {f"rnnclassifier__{k}": v for k, v in study.best_params.items()},
        len(study.trials),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="cr,mpqa,subj")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--methods", default="grid,halving,optuna")
    parser.add_argument("--max-epochs", type=int, default=18)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_search.json"))
    parser.add_argument(
        "--append",
        action="store_true",
        help="keep the runs already in --out (other seeds or sets) and summarise them all",
    )
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown or "grid" not in methods:
        parser.error(f"--methods: choose from {', '.join(METHODS)}, grid included (the budget)")
    record = {
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
        "cpu": cpu_description(),
        "space": SPACE,
        "max_epochs": args.max_epochs,
        "runs": [],
    }
    rows, previous = [], []
    if args.append and os.path.exists(args.out):
        with open(args.out) as f:
            previous = json.load(f)["runs"]
    for set_name in args.sets.split(","):
        X_all, y_all, _, _ = load(set_name, False, 0)
        for seed in [int(s) for s in args.seeds.split(",")]:
            X, X_test, y, y_test = train_test_split(
                X_all, y_all, test_size=0.2, stratify=y_all, random_state=seed
            )
            X_train, X_valid, y_train, y_valid = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed
            )
            # The searches fit on the training part and score the validation part.
            X_search = np.concatenate([X_train, X_valid])
            y_search = np.concatenate([y_train, y_valid])
            split = PredefinedSplit(np.r_[np.full(len(X_train), -1), np.zeros(len(X_valid))])
            print(
                f"\n{set_name} seed {seed}: train {len(X_train)} / validation {len(X_valid)} "
                f"/ test {len(X_test)}",
                flush=True,
            )
            clocks, picks, trials = {}, {}, {}
            clocks["grid"], picks["grid"], trials["grid"] = search_grid(
                X_search, y_search, split, seed, args.max_epochs
            )
            budget = clocks["grid"].points[-1][0]
            print(f"  grid: {budget / 60:.1f} min, the budget", flush=True)
            if "halving" in methods:
                clocks["halving"], picks["halving"], trials["halving"] = search_halving(
                    X_search, y_search, split, seed, args.max_epochs
                )
            for method in ("optuna", "optuna-noprune"):
                if method in methods:
                    clocks[method], picks[method], trials[method] = search_optuna(
                        X_train,
                        y_train,
                        X_valid,
                        y_valid,
                        seed,
                        args.max_epochs,
                        budget,
                        prune=method == "optuna",
                    )
            target = clocks["grid"].best_by(np.inf) - 0.005
            for method, clock in clocks.items():
                params = {k.split("__", 1)[1]: v for k, v in picks[method].items()}
                model = _pipeline(seed, max_epochs=args.max_epochs, **params)
                test = float(model.fit(X_train, y_train).score(X_test, y_test))
                row = {
                    "set": set_name,
                    "seed": seed,
                    "method": method,
                    "minutes": clock.points[-1][0] / 60,
                    "budget_minutes": budget / 60,
                    "models_scored": len(clock.points),
                    "trials": trials[method],
                    "best_at_quarter": clock.best_by(budget / 4),
                    "best_at_half": clock.best_by(budget / 2),
                    "best_at_budget": clock.best_by(budget * 1.0001),
                    "best_overall": clock.best_by(np.inf),
                    "minutes_to_grid_best": clock.time_to(target) / 60,
                    "pick": params,
                    "test_of_pick": test,
                    "curve": clock.points,
                }
                rows.append(row)
                print(
                    f"  {method:15s} {row['minutes']:5.1f} min {row['trials']:3d} configurations "
                    f"{row['models_scored']:3d} scores  "
                    f"best {100 * row['best_at_quarter']:5.1f} / {100 * row['best_at_half']:5.1f} "
                    f"/ {100 * row['best_at_budget']:5.1f} (1/4, 1/2, all of the budget)  "
                    f"to grid's best {row['minutes_to_grid_best']:5.1f} min  "
                    f"test {100 * test:5.1f}  {params}",
                    flush=True,
                )
            record["runs"] = previous + rows
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(record, f, indent=1)
    summarize(record["runs"], methods)
    print(f"\nwrote {args.out}")


def summarize(rows, methods):
    """The table over data sets and seeds: each method against the grid of the same run."""

    def spread(values):
        values = np.asarray(values, dtype=float) * 100
        return f"{np.mean(values):+6.2f} ({values.min():+.2f}, {values.max():+.2f})"

    grid = {(r["set"], r["seed"]): r for r in rows if r["method"] == "grid"}
    runs = sorted(grid)
    print(
        f"\nOver {len(runs)} runs ({', '.join(f'{s} seed {k}' for s, k in runs)}): each method "
        "against the grid of the same run, in points of accuracy, mean (min, max); the best "
        "validation accuracy found by half and by all of the grid's time, the test accuracy "
        "of the pick, and the time to within 0.5 points of the grid's best as a share of "
        "the grid's time"
    )
    print(
        f"  {'method':15s} {'half budget':>22s} {'whole budget':>22s} {'test of pick':>22s} "
        f"{'time to grid best':>18s}"
    )
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        ref = [grid[(r["set"], r["seed"])] for r in mine]
        share = np.array([r["minutes_to_grid_best"] / r["budget_minutes"] for r in mine])
        reached = share[~np.isnan(share)]

        def gain(key, mine=mine, ref=ref):
            return spread([r[key] - g[key] for r, g in zip(mine, ref)])

        print(
            f"  {method:15s} "
            f"{gain('best_at_half'):>22s} {gain('best_at_budget'):>22s} "
            f"{gain('test_of_pick'):>22s} "
            + (f"{np.mean(reached):17.2f}x" if len(reached) else f"{'never':>18s}")
            + (
                f" (not reached in {len(share) - len(reached)} runs)"
                if len(reached) < len(share)
                else ""
            )
        )
        for r in mine:
            print(
                f"    {r['set']:5s} seed {r['seed']}: validation {100 * r['best_at_half']:5.2f} / "
                f"{100 * r['best_at_budget']:5.2f}, test of pick {100 * r['test_of_pick']:5.2f}, "
                f"{r['minutes']:5.1f} of {r['budget_minutes']:4.1f} min"
            )


if __name__ == "__main__":
    main()
