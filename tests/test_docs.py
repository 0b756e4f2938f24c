"""Every public parameter of every public class is documented, under its own name."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest
from numpydoc.docscrape import ClassDoc
from sklearn.base import BaseEstimator

import sklearn_rnn

#: Every public module of the package (a new one is checked without being listed).
MODULES = [
    importlib.import_module(f"sklearn_rnn.{m.name}")
    for m in pkgutil.iter_modules(sklearn_rnn.__path__)
    if not m.name.startswith("_")
]


def _public_classes():
    classes = {getattr(sklearn_rnn, n) for n in sklearn_rnn.__all__}
    for module in MODULES:
        classes |= {
            obj
            for name, obj in vars(module).items()
            if not name.startswith("_") and inspect.isclass(obj)
        }
    return sorted(
        (c for c in classes if inspect.isclass(c) and c.__module__.startswith("sklearn_rnn")),
        key=lambda c: c.__qualname__,
    )


def _expected_parameters(cls):
    if issubclass(cls, BaseEstimator) and not _passes_kwargs_on(cls):
        return set(cls().get_params(deep=False)) if _constructible(cls) else _signature(cls)
    return _signature(cls)


def _passes_kwargs_on(cls):
    kinds = {p.kind for p in inspect.signature(cls.__init__).parameters.values()}
    return inspect.Parameter.VAR_KEYWORD in kinds


def _constructible(cls):
    required = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return len(required) <= 1  # self


def _signature(cls):
    return {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def _documented(cls):
    doc = ClassDoc(cls, config={"show_class_members": False})
    sections = ["Parameters"]
    if dataclasses.is_dataclass(cls):  # its fields are its parameters and its attributes
        sections.append("Attributes")
    names = set()
    for section in sections:
        for param in doc[section]:
            # ``*args, **kwargs`` are passed on, documented where they go.
            names |= {n.strip() for n in param.name.split(",") if n.strip()}
    return {n for n in names if not n.startswith("*")}


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda c: c.__qualname__)
def test_documented_parameters_are_the_parameters(cls):
    assert _documented(cls) == _expected_parameters(cls)
