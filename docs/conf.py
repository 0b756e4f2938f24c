"""Sphinx configuration (the site itself is built out in a later issue)."""

project = "sklearn_rnn"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
autosummary_generate = True
numpydoc_show_class_members = False
html_theme = "alabaster"
