import io
import pickle
import signal
import threading
import warnings

import numpy as np
import pytest
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_rnn import RNNClassifier
from sklearn_rnn._sequences import as_ragged
from sklearn_rnn.callbacks import EpochProgress

rng = np.random.default_rng(0)
X = as_ragged([rng.integers(4, 30, size=rng.integers(2, 9)) for _ in range(80)])
y = np.array([int(s.max() > 20) for s in X])


def clf(**kw):
    params = dict(hidden_size=8, embedding_dim=8, random_state=0, early_stopping=False)
    return RNNClassifier(**(params | kw))


class _CtrlC(Callback):
    """Sends the main thread a Ctrl-C (SIGINT) at the end of the given epoch.

    To the main thread, not the process: the kernel may hand a process's
    signal to one of torch's worker threads, and CPython can then notice it
    only later (once, in CI, after the last epoch), which would test the
    interpreter's timing, not our handling.
    """

    def __init__(self, at_epoch=2):
        self.at_epoch = at_epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at_epoch:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def test_epoch_progress_draws_one_step_per_epoch_and_pickles():
    stream = io.StringIO()
    bar = EpochProgress(desc="gru", disable=False, leave=True, file=stream)
    model = clf(max_epochs=3, callbacks=[("progress", bar)]).fit(X, y)
    drawn = stream.getvalue()
    assert "gru: 100%" in drawn and "3/3" in drawn and "train_loss" in drawn
    again = pickle.loads(pickle.dumps(model))  # no tqdm bar inside
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))


@pytest.fixture
def python_sigint():
    """Python's own Ctrl-C handler, whatever the test run inherited (a job started in the
    background by a non-interactive shell starts with SIGINT ignored)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_an_ignored_ctrl_c_is_not_reported():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        model = clf(max_epochs=3, callbacks=[("ctrl_c", _CtrlC(at_epoch=1))])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "interrupted" warning
            model.fit(X, y)
        assert len(model.history_) == 3
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_ctrl_c_ends_training_with_a_warning_and_warm_start_continues(python_sigint):
    model = clf(max_epochs=10, callbacks=[("ctrl_c", _CtrlC(at_epoch=2))])
    with pytest.warns(UserWarning, match=r"interrupted \(Ctrl-C\) after 2 of 10 epochs"):
        model.fit(X, y)
    assert len(model.history_) == 2 and model.predict(X).shape == (80,)
    model.set_params(warm_start=True, max_epochs=3, callbacks=None)
    model.fit(X, y)  # three more epochs from the interrupted weights
    assert [row["epoch"] for row in model.history_] == [1, 2, 3, 4, 5]
    # The handler is restored: a Ctrl-C outside training is Python's again.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_killed_fit_continues_from_its_checkpoint(tmp_path):
    """skorch's Checkpoint saves every epoch; LoadInitState resumes from it in a new process."""

    def model(max_epochs):
        checkpoint = Checkpoint(dirname=str(tmp_path / "ckpt"), monitor=None)
        callbacks = [("checkpoint", checkpoint), ("resume", LoadInitState(checkpoint))]
        return clf(max_epochs=max_epochs, callbacks=callbacks)

    first = model(2).fit(X, y)  # then the process is killed
    saved = {k: v.clone() for k, v in first.net_.module_.state_dict().items()}
    second = model(3)  # a new process: same data, same settings
    second.fit(X, y)
    assert [row["epoch"] for row in second.history_] == [1, 2, 3, 4, 5]
    # It started from the checkpoint, not from a fresh initialisation.
    fresh = clf(max_epochs=3).fit(X, y)
    assert second.history_[2, "train_loss"] < fresh.history_[0, "train_loss"]
    assert second.history_[:2, "train_loss"] == first.history_[:, "train_loss"]
    assert set(saved) == set(second.net_.module_.state_dict())
