"""skorch callbacks for the estimators' ``callbacks`` parameter.

:class:`EpochProgress` draws one progress bar per fit, an epoch per step,
with the elapsed time and an estimate of what is left (tqdm). skorch's own
``ProgressBar`` (the estimators' ``verbose=2``) counts batches within an
epoch instead.
"""

import contextlib
import signal
import sys
import threading

import torch
from skorch.callbacks import Callback, EarlyStopping
from tqdm.auto import tqdm

__all__ = ["EpochProgress", "WeightAveraging"]


@contextlib.contextmanager
def _recording_interrupts():
    """Yield a list that records each Ctrl-C (SIGINT) received inside the block.

    The interrupt still acts as it would have (the previous handler runs, by
    default raising ``KeyboardInterrupt``). skorch ends training on a
    ``KeyboardInterrupt`` as on early stopping and returns normally; the
    record tells the two apart. Outside the main thread (where signal
    handlers cannot be set), or when SIGINT is ignored, nothing is recorded.
    """
    seen = []
    previous = (
        signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread()
        else None
    )
    if previous is None or previous == signal.SIG_IGN:
        # Not the main thread, or Ctrl-C is ignored (e.g. a job started in the
        # background by a script): it stops nothing, so there is nothing to record.
        yield seen
        return

    def handler(signum, frame):
        seen.append(signum)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


class _EarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, whose last epoch every later callback still sees.

    skorch stops training by raising ``KeyboardInterrupt`` from this
    callback's ``on_epoch_end``, so the callbacks after it never saw the
    epoch that ended training: the printed epoch table (skorch runs it last)
    stopped one row short of the epochs trained, under a message that counted
    them, and an :class:`EpochProgress` bar one step short. Here they see it
    first; then the message is printed and training stops.
    """

    def on_epoch_end(self, net, **kwargs):
        sink, held = self.sink, []
        self.sink = held.append  # skorch's message, printed after the later callbacks
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            position = next(i for i, (_, cb) in enumerate(net.callbacks_) if cb is self)
            for _, callback in net.callbacks_[position + 1 :]:
                callback.on_epoch_end(net, **kwargs)
            raise
        finally:
            self.sink = sink
            for text in held:
                self._sink(text, verbose=net.verbose)


class EpochProgress(Callback):
    """A tqdm bar over the epochs of a fit: elapsed time, time left, latest losses.

    The bar's total is ``max_epochs``, so with early stopping the time left is
    an upper bound; the bar ends at the epoch training stopped.

    Parameters
    ----------
    desc : str, default=None
        Text before the bar (e.g. the model's name).
    disable : bool or None, default=None
        tqdm's ``disable``: None shows the bar only when ``file`` is a
        terminal, so logs and captured output stay clean.
    leave : bool, default=False
        Keep the finished bar on screen.
    file : file-like, default=None
        Where to draw (``sys.stderr`` when None).

    Examples
    --------
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn.callbacks import EpochProgress
    >>> model = RNNClassifier(callbacks=[("progress", EpochProgress(desc="gru"))])
    """

    def __init__(self, desc=None, disable=None, leave=False, file=None):
        self.desc = desc
        self.disable = disable
        self.leave = leave
        self.file = file

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        done = len(net.history)  # a warm start continues the count
        self.bar_ = tqdm(
            total=done + net.max_epochs,
            initial=done,
            desc=self.desc,
            unit="epoch",
            leave=self.leave,
            disable=self.disable,
            file=self.file if self.file is not None else sys.stderr,
            dynamic_ncols=True,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        shown = {k: f"{row[k]:.4f}" for k in ("train_loss", "valid_loss", "valid_acc") if k in row}
        self.bar_.set_postfix(shown, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.bar_.close()
        del self.bar_  # a tqdm bar does not pickle; the fitted model must

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


class WeightAveraging(Callback):
    """An exponential moving average of the weights, used to validate and to predict.

    After each training step the average moves towards the network's new
    weights: ``average = decay * average + (1 - decay) * weights`` (Polyak
    averaging; the exponential moving average of
    :func:`torch.optim.swa_utils.get_ema_multi_avg_fn`). The average is
    what each epoch's validation scores, so early stopping keeps the best
    average, and what the fitted model holds; the optimizer goes on from
    the network's own weights. The average of weights near the end of
    training sits in a flatter, better generalising region than any one of
    them (Polyak & Juditsky 1992; Izmailov et al. 2018), and smooths the
    noise of small batches and high learning rates.

    Early steps move the average faster (the decay is at most
    ``(1 + n) / (10 + n)`` after ``n`` steps, as TensorFlow's
    ``ExponentialMovingAverage`` does with ``num_updates``), so the random
    starting weights do not linger in it. Each ``fit`` (and ``partial_fit``)
    starts a new average from the weights it begins with. Buffers (none in
    this package's networks) are not averaged. A checkpoint saved at the end
    of an epoch (skorch's ``Checkpoint``) holds the average.

    The estimators set it up through their ``ema_decay`` parameter; as a
    callback it works with any skorch net.

    Parameters
    ----------
    decay : float, default=0.99
        Weight of the old average at each step, in [0, 1). About
        ``1 / (1 - decay)`` steps (100 for 0.99) make up most of the average.

    Examples
    --------
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn.callbacks import WeightAveraging
    >>> model = RNNClassifier(ema_decay=0.99)  # the same, set up by the estimator
    >>> net_callbacks = [("weight_averaging", WeightAveraging(decay=0.99))]  # any skorch net
    """

    def __init__(self, decay=0.99):
        self.decay = decay

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if not 0 <= self.decay < 1:
            raise ValueError(f"decay must be in [0, 1); got {self.decay!r}.")
        # Detached views: they share storage with the parameters, so they see
        # each optimizer step, and the in-place copies below reach the network.
        self.params_ = [p.detach() for p in net.module_.parameters() if p.is_floating_point()]
        self.average_ = [p.clone() for p in self.params_]
        self.saved_ = None  # the network's own weights while the average is in place
        self.steps_ = 0

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if not training:
            return
        self.steps_ += 1
        decay = min(self.decay, (1 + self.steps_) / (10 + self.steps_))
        torch._foreach_lerp_(self.average_, self.params_, 1 - decay)

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            self._restore()
        elif self.saved_ is None:  # an epoch's first validation batch
            self._swap_in()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # With validation the average is in place already (or early stopping
        # has just loaded the best one); without it, put it in place now.
        if self.saved_ is None:
            self._swap_in()
        self.params_ = self.average_ = self.saved_ = None

    def _swap_in(self):
        self.saved_ = [p.clone() for p in self.params_]
        torch._foreach_copy_(self.params_, self.average_)

    def _restore(self):
        if self.saved_ is None:
            return
        torch._foreach_copy_(self.params_, self.saved_)
        self.saved_ = None

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("params_", "average_", "saved_"):
            state.pop(name, None)
        return state
