"""Every command written in the README runs, on small data where the real run is long.

The README's ``sklearn-rnn`` commands (in its bash blocks, and inline where a
command is written whole) are run as written, through the console script's
``main``, in a folder holding small stand-ins of the files they name: a
tiny IMDB-format CSV in ``$SKLEARN_RNN_IMDB``, a tiny SMS collection in
``$SKLEARN_RNN_SMS_SPAM``, ``my.csv``, ``my_module.py`` and ``sales.csv``.
Only ``--output-dir`` is added, so that nothing lands in the repository.
Set-up steps (``python3 -m venv``, ``pip install``) are not run here: CI runs
them on a clean machine, and ``test_project.py`` checks that CI runs the
README's test command.
"""

import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
WORDS = {0: ["dull", "bad", "boring", "awful"], 1: ["great", "fine", "lovely", "fun"]}
FILLER = ["the", "film", "plot", "was", "and", "a", "story"]


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if re.search(r"(^|/| )sklearn-rnn ", part):
                    commands.append(part)
    # Inline commands written whole (no placeholders such as ID or COLS).
    for span in re.findall(r"`(sklearn-rnn [^`]+)`", readme):
        if not re.search(r"\b[A-Z]{2,}\b", span) and span.split()[1] in ("compare", "backtest"):
            if "--" in span:
                commands.append(span)
    return list(dict.fromkeys(commands))


COMMANDS = _readme_commands()


def _text(label, rng):
    words = list(rng.choice(FILLER, size=5)) + [rng.choice(WORDS[label])]
    return " ".join(rng.permutation(words))


@pytest.fixture
def small_data(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    rows = [
        (split, label, _text(label, rng))
        for split, n in (("train", 40), ("test", 20))
        for label in (0, 1)
        for _ in range(n // 2)
    ]
    imdb = tmp_path / "imdb_small.csv"
    pd.DataFrame(rows, columns=["split", "label", "text"]).to_csv(imdb, index=False)
    sms = tmp_path / "SMSSpamCollection"
    sms.write_text(
        "".join(f"{'spam' if y else 'ham'}\t{_text(y, rng)}\n" for y in [0] * 30 + [1] * 20)
        + "ham\t:-) :-)\n"  # the real collection's textless messages
    )
    pd.DataFrame({"body": [_text(y, rng) for y in [0, 1] * 20], "tag": ["neg", "pos"] * 20}).to_csv(
        tmp_path / "my.csv", index=False
    )
    (tmp_path / "my_module.py").write_text(
        "from sklearn.dummy import DummyClassifier\n\n\n"
        "def make_model():\n    return DummyClassifier(strategy='stratified')\n"
    )
    t = np.arange(120)
    sales = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, t.size)
    pd.DataFrame({"sales": sales}).to_csv(tmp_path / "sales.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_RNN_IMDB", str(imdb))
    monkeypatch.setenv("SKLEARN_RNN_SMS_SPAM", str(sms))
    monkeypatch.delitem(sys.modules, "my_module", raising=False)
    return tmp_path


def test_the_readme_holds_the_commands_this_file_runs():
    subcommands = [shlex.split(c)[1] for c in COMMANDS if not c.startswith("SKLEARN_RNN")]
    assert {"models", "compare", "backtest"} <= set(subcommands)
    assert len(COMMANDS) >= 7


@pytest.mark.filterwarnings("ignore:.*no better than always predicting")
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, small_data, capsys):
    words = shlex.split(command)
    while re.match(r"^[A-Z_]+=", words[0]):  # VAR=value: the small data's variables instead
        words.pop(0)
    at = next(i for i, w in enumerate(words) if w.endswith("sklearn-rnn"))
    argv = words[at + 1 :]
    if argv[0] != "models":
        argv += ["--output-dir", str(small_data / "out")]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, f"{command!r} failed: {captured.err[-2000:]}"
    if argv[0] == "compare":
        frame = pd.read_csv(small_data / "out" / "results.csv", index_col="model")
        assert frame.index[0] == "majority" and len(frame) >= 2
