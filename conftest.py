"""pytest settings for the whole suite: tests, the package's doctests, the README and guides."""
