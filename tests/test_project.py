"""The project's own promises: CI runs the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_commands = [b for b in blocks if "pytest" in b]
    assert len(test_commands) == 1
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_commands[0] in ci_lines


def _public_names(module):
    """Classes and functions a public module defines itself (not imports), no underscore."""
    import inspect

    return {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == module.__name__
    }


def test_api_reference_lists_every_public_class_and_function():
    import importlib
    import pkgutil

    import sklearn_rnn

    public_modules = [
        importlib.import_module(f"sklearn_rnn.{m.name}")
        for m in pkgutil.iter_modules(sklearn_rnn.__path__)
        if not m.name.startswith("_")
    ]

    api = (ROOT / "docs" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.M))
    exported = {
        name
        for name in sklearn_rnn.__all__
        if not name.isupper()  # the reserved-id constants are described in prose
    }
    missing = exported - listed
    for module in public_modules:
        missing |= {f"{module.__name__}.{n}" for n in _public_names(module) - listed}
    assert not missing, f"not in docs/api.rst: {sorted(missing)}"


def test_every_public_class_is_in_the_user_guide_or_an_example():
    import sklearn_rnn

    pages = [p for p in (ROOT / "docs").rglob("*.rst") if p.name != "api.rst"]
    text = " ".join(p.read_text() for p in pages)
    text += " ".join(p.read_text() for p in (ROOT / "examples").glob("*.py"))
    classes = [n for n in sklearn_rnn.__all__ if n[0].isupper() and not n.isupper()]
    absent = [n for n in classes if n not in text]
    assert not absent
