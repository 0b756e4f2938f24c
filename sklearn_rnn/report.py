"""Comparison: the outcome of :func:`sklearn_rnn.compare.compare`, as a table, files and plots."""

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Result columns that hold counts: integers, missing where they do not apply.
COUNT_COLUMNS = (
    "n_params",
    "n_epochs",
    "kept_epoch",
    "n_networks",
    "empty_test_docs",
    "empty_train_docs",
)

#: Bar colours of the model families in the scores plot.
FAMILY_COLORS = {"baseline": "tab:gray", "bag-of-words": "tab:orange", "recurrent": "tab:blue"}


@dataclass
class Comparison:
    """The outcome of :func:`compare`: one row per model, training histories and the protocol.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per model: ``test_score`` (and its binomial standard error
        ``test_se`` for accuracy), ``cv_mean``/``cv_std``/``cv_scores`` over
        the shared folds, ``fit_time``/``predict_time`` (seconds; means over
        folds when there is no test split), ``n_params``, ``n_epochs``
        (epochs trained), ``kept_epoch`` (the epoch whose weights the
        model kept: its best validation loss), ``n_networks`` (the networks
        a recurrent model trained side by side and averaged: its
        ``ensemble_size_``; ``n_params`` counts them all), and ``family``
        (``'baseline'``, ``'bag-of-words'`` or ``'recurrent'``). The
        ``'majority'`` row, when there, is the majority-class floor.
        ``empty_test_docs`` (``empty_train_docs`` without a test split)
        counts the documents a recurrent model read as no token at all
        (they are kept: it reads them as the zero vector).
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
        header += f"{'fit s':>9s}{'predict s':>10s}{'params':>12s}{'epochs':>7s}{'kept':>6s}"
        lines.append(header)
        lines.append("-" * len(header))
        for name, row in frame.iterrows():
            line = f"{name:16s}"
            if has_test:
                line += f"{row['test_score']:16.4f}"
            if has_cv:
                line += f"{row['cv_mean']:10.4f}{row['cv_std']:8.4f}"
            n_params, epochs, kept = (
                "" if pd.isna(row.get(k)) else f"{int(row[k]):,}"
                for k in ("n_params", "n_epochs", "kept_epoch")
            )
            line += f"{row['fit_time']:9.1f}{row['predict_time']:10.1f}{n_params:>12s}"
            line += f"{epochs:>7s}{kept:>6s}"
            lines.append(line)
        networks = frame.get("n_networks", pd.Series(dtype="Int64")).dropna()
        averaged = [f"{name} ({int(n)})" for name, n in networks.items() if n > 1]
        if averaged:
            lines.append(
                "Networks trained side by side and averaged (params counts them all): "
                + ", ".join(averaged)
                + "."
            )
        empty = frame.get("empty_test_docs", pd.Series(dtype="Int64")).dropna()
        if len(empty) and empty.max() > 0:
            lines.append(
                f"{int(empty.max())} test document(s) hold no token a recurrent model keeps "
                "(e.g. only emoticons); they are read as the zero vector, not dropped."
            )
        if self.info.get("interrupted"):
            lines.append("(interrupted: the models above are those finished)")
        return "\n".join(lines)

    @classmethod
    def from_json(cls, path):
        """Read a comparison back from the ``results.json`` that :meth:`save` wrote."""
        with open(path) as f:
            record = json.load(f)
        results = pd.DataFrame.from_dict(record["results"], orient="index")
        counts = [c for c in COUNT_COLUMNS if c in results]
        numeric = results.columns.drop(["cv_scores", "family", *counts], errors="ignore")
        results[numeric] = results[numeric].astype(float)  # JSON null back to NaN
        for column in counts:
            results[column] = results[column].astype("Float64").astype("Int64")
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
        err = (frame["test_se"] if use_test else frame["cv_std"]).fillna(0)
        what = (
            "test split, bars: binomial standard error"
            if use_test
            else f"{self.info.get('cv')}-fold CV, bars: standard deviation over folds"
        )
        families = frame["family"] if "family" in frame else pd.Series("", index=frame.index)
        fig, ax = plt.subplots(figsize=(8.5, 0.5 * len(frame) + 1.8))
        y = np.arange(len(frame))[::-1]
        for family in dict.fromkeys(families):
            rows = (families == family).to_numpy()
            ax.barh(
                y[rows],
                score[rows],
                xerr=err[rows],
                color=FAMILY_COLORS.get(family, "tab:gray"),
                alpha=0.85,
                capsize=4,
                label=family or None,
            )
        ax.set_yticks(y, frame.index)
        low = float(np.nanmin(score - err))
        if "majority" in frame.index and families.get("majority") == "baseline":
            floor = float(score["majority"])
            ax.axvline(floor, color="black", ls=":", lw=1, label="majority class")
            low = min(low, floor)
        # Starts at the floor (or 0), so that bars compare with what no model learns.
        ax.set_xlim(max(0.0, low - 0.05), min(1.0, float(np.nanmax(score + err))) + 0.03)
        ax.set_xlabel(f"{self.info.get('scoring', 'score')} ({what})")
        ax.set_title(self.info.get("title", "Comparison"))
        for yi, s, e in zip(y, score, err):
            ax.text(s + e, yi, f"  {s:.3f}", va="center", fontsize=8)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
        figures["scores"] = fig
        curves = {k: v for k, v in self.histories.items() if v}
        if curves:
            fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
            for name, rows in curves.items():
                epochs = [r["epoch"] for r in rows]
                (line,) = ax_loss.plot(epochs, [r["train_loss"] for r in rows], label=name)
                color = line.get_color()
                kept = [r for r in rows if r.get("valid_loss_best")]
                if "valid_loss" in rows[0]:
                    ax_loss.plot(epochs, [r["valid_loss"] for r in rows], "--", color=color)
                if kept:  # the epoch whose weights the model kept
                    ax_loss.plot(kept[-1]["epoch"], kept[-1]["valid_loss"], "o", color=color)
                if "valid_acc" in rows[0]:
                    ax_acc.plot(epochs, [r["valid_acc"] for r in rows], label=name, color=color)
                    if kept:
                        ax_acc.plot(kept[-1]["epoch"], kept[-1]["valid_acc"], "o", color=color)
            ax_loss.set(
                xlabel="epoch",
                ylabel="loss",
                title="training (solid), validation (dashed); o: epoch kept",
            )
            ax_acc.set(
                xlabel="epoch", ylabel="accuracy", title="validation split (from training data)"
            )
            ax_loss.legend(fontsize=8)
            ax_acc.legend(fontsize=8)
            fig.tight_layout()
            figures["curves"] = fig
        return figures
