"""Sphinx configuration: numpydoc API reference, user guide, and the examples as a gallery.

Build (warnings are errors, as in CI)::

    pip install -e ".[docs,examples]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery runs each example in a small "docs" configuration (``DOCS_ARGS``
in ``gallery_config.py``: a few thousand samples, two or three epochs), so that the whole site
builds in a few minutes on a 2-core CPU; the figures quoted in the user guide
come from the examples' own default or ``--full`` runs. An example whose data
is not on this machine (IMDB or the English-French pairs, from
``../shared/data`` or the ``SKLEARN_RNN_*`` variables) is shown without being
run, and the build says so; ``SKLEARN_RNN_DOCS_RUN_EXAMPLES=0`` runs none.
"""

import os
import sys

import sklearn_rnn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gallery_config import RUN  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

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
# scikit-learn's family of sites (scikit-learn, skorch's neighbours, imbalanced-learn).
html_theme = "pydata_sphinx_theme"
html_title = "sklearn_rnn"
html_static_path = []
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}

autosummary_generate = True
autodoc_default_options = {"members": True}
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


sphinx_gallery_conf = {
    "examples_dirs": os.path.join(HERE, "..", "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/(" + "|".join(n.replace(".", r"\.") for n in RUN) + ")$"
    if RUN
    else r"/\Z.",  # matches nothing
    "reset_argv": "gallery_config.reset_argv",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "capture_repr": (),
    "matplotlib_animations": False,
}
