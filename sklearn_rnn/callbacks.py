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

from skorch.callbacks import Callback
from tqdm.auto import tqdm

__all__ = ["EpochProgress"]


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
