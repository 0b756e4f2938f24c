import io
import pickle
import signal
import threading
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_rnn import LSTMRegressor, RNNClassifier, RNNTagger, Seq2SeqEstimator
from sklearn_rnn._sequences import as_ragged
from sklearn_rnn.callbacks import EpochProgress, WeightAveraging

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


class _StepWeights(Callback):
    """Records the network's weights after every training step (they are the optimizer's)."""

    def on_train_begin(self, net, **kwargs):
        self.steps_ = [[p.detach().to("cpu", copy=True) for p in net.module_.parameters()]]

    def on_batch_end(self, net, training=None, **kwargs):
        if training:
            self.steps_.append([p.detach().to("cpu", copy=True) for p in net.module_.parameters()])


def test_weight_averaging_leaves_training_alone_and_the_model_holds_the_average():
    recorder = _StepWeights()
    kw = dict(max_epochs=4, batch_size=16)  # 20 steps
    model = clf(**kw, ema_decay=0.5, callbacks=[("steps", recorder)]).fit(X, y)
    plain = clf(**kw).fit(X, y)
    # The optimizer's path is the one it takes without averaging ...
    assert model.history_[:, "train_loss"] == pytest.approx(plain.history_[:, "train_loss"])
    for w, p in zip(recorder.steps_[-1], plain.net_.module_.parameters()):
        np.testing.assert_allclose(w, p.detach().cpu())
    # ... and the fitted model holds the moving average of its steps, the
    # first 8 steps' decay held down to (1 + n) / (10 + n).
    average = [w.clone() for w in recorder.steps_[0]]
    for n, weights in enumerate(recorder.steps_[1:], start=1):
        decay = min(0.5, (1 + n) / (10 + n))
        average = [decay * a + (1 - decay) * w for a, w in zip(average, weights)]
    kept = list(model.net_.module_.parameters())
    assert len(recorder.steps_) == 21
    for a, w in zip(average, kept):
        np.testing.assert_allclose(w.detach().cpu(), a, rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.predict_proba(X), plain.predict_proba(X))


def test_weight_averaging_validates_the_average_and_early_stopping_keeps_the_best_one():
    mask = np.arange(len(X)) >= 60
    # One network: its validation loss is the log loss of its probabilities.
    model = clf(max_epochs=6, ema_decay=0.8, early_stopping=True, patience=6, ensemble_size=1)
    model.fit(X, y, validation_mask=mask)
    # The model's loss on the validation samples is the best epoch's recorded one.
    proba = model.predict_proba(X[mask])
    loss = -np.mean(np.log(proba[np.arange(mask.sum()), y[mask]]))
    assert loss == pytest.approx(min(model.history_[:, "valid_loss"]), rel=1e-4)
    plain = clf(max_epochs=6, early_stopping=True, patience=6, ensemble_size=1)
    plain.fit(X, y, validation_mask=mask)
    # Validation read the average; training went on from the optimizer's own weights.
    assert model.history_[:, "valid_loss"] != pytest.approx(plain.history_[:, "valid_loss"])
    assert model.history_[:, "train_loss"] == pytest.approx(plain.history_[:, "train_loss"])


def test_weight_averaging_pickles_without_its_tensors_and_restarts_with_partial_fit():
    model = clf(max_epochs=2, ema_decay=0.9).fit(X, y)
    callback = dict(model.net_.callbacks_)["weight_averaging"]
    assert callback.average_ is None and callback.saved_ is None
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))
    before = [p.detach().clone() for p in again.net_.module_.parameters()]
    again.partial_fit(X, y)  # a new average from the weights it starts with
    after = list(again.net_.module_.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))


@pytest.mark.parametrize("decay", [1.0, -0.1])
def test_weight_averaging_rejects_a_decay_outside_0_1(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        clf(ema_decay=decay).fit(X, y)
    with pytest.raises(ValueError, match="decay must be in"):
        clf(callbacks=[("ema", WeightAveraging(decay))]).fit(X, y)


def _regression():
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(60, 5, 1)).astype(np.float32)
    return LSTMRegressor(hidden_size=8, max_epochs=3), windows, windows[:, -1, 0]


def _tagging():
    sentences = [["a", "b", "c"], ["b", "c"], ["c", "a", "a", "b"]] * 10
    tags = [["X", "Y", "Z"], ["Y", "Z"], ["Z", "X", "X", "Y"]] * 10
    return RNNTagger(hidden_size=8, char_size=8, max_epochs=3), sentences, tags


def _seq2seq():
    rng = np.random.default_rng(0)
    X = as_ragged([rng.integers(4, 12, size=rng.integers(2, 6)) for _ in range(40)])
    return Seq2SeqEstimator(hidden_size=8, embedding_dim=8, max_epochs=3), X, X


@pytest.mark.parametrize("make", [_regression, _tagging, _seq2seq])
def test_every_estimator_averages_its_weights_without_changing_its_training(make):
    model, X, y = make()
    plain = model.set_params(random_state=0, ema_decay=0.0).fit(X, y)
    plain_weights = [p.detach().clone() for p in plain.net_.module_.parameters()]
    plain_loss = plain.history_[:, "train_loss"]
    averaged = make()[0].set_params(random_state=0, ema_decay=0.5).fit(X, y)
    assert averaged.history_[:, "train_loss"] == pytest.approx(plain_loss)
    kept = list(averaged.net_.module_.parameters())
    assert any(not torch.allclose(a, b) for a, b in zip(plain_weights, kept))


def test_the_epoch_that_stops_training_is_printed_and_drawn(capsys):
    # skorch stops from EarlyStopping's on_epoch_end, before the callbacks
    # after it: the table and the bar used to end one epoch short.
    noise = np.random.default_rng(1).integers(0, 2, len(y))  # validation loss soon rises
    stream = io.StringIO()
    bar = EpochProgress(desc="rnn", disable=False, leave=True, file=stream)
    model = clf(max_epochs=40, early_stopping=True, patience=2, lr=0.05, verbose=1, ensemble_size=1)
    model.set_params(callbacks=[("progress", bar)]).fit(X, noise)
    n_epochs = len(model.history_)
    assert n_epochs < 40
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split()[0] for line in lines if line.split() and line.split()[0].isdigit()]
    assert rows == [str(epoch) for epoch in range(1, n_epochs + 1)]
    stop = next(i for i, line in enumerate(lines) if line.startswith("Stopping since"))
    assert lines[stop - 1].split()[0] == str(n_epochs)  # the message follows the last row
    assert "valid_loss has not improved in the last 2 epochs" in lines[stop]
    assert f"{n_epochs}/40" in stream.getvalue()
