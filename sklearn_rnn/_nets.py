"""Layer 4 plumbing: the skorch nets the estimators own, and their device and precision policy.

skorch is the training engine; these subclasses add only what it does not
do: a loss weighted per sample, mixed precision (autocast, and loss scaling
for float16), non-blocking copies on CUDA, and on the CPU subnormal floats
flushed to zero, no more threads than the cores other processes leave free,
freed memory kept for the next batch, and the named optimizers' fused kernels.
"""

import ctypes
import functools
import os
import threading
import time
from collections.abc import Mapping
from contextlib import contextmanager, nullcontext

import torch
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.dataset import get_len, unpack_data

from ._batching import IGNORE_LABEL
from ._sequences import PAD_ID

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

#: ``SKLEARN_RNN_FUSED_OPTIMIZER=0``: torch's default optimizer implementation
#: everywhere (benchmarks and tests compare both).
FUSED_OPTIMIZER_ENV = "SKLEARN_RNN_FUSED_OPTIMIZER"


def optimizer_params(optimizer, device):
    """skorch's ``optimizer__*`` arguments for a named optimizer on ``device``.

    On the CPU torch's default Adam runs about ten elementwise operations per
    parameter per step, each a pass over the parameter; the fused kernel
    (``fused=True``) updates each in one pass. The word embedding is most of a
    text model's parameters and its gradient is dense, so this is a step's
    largest elementwise cost: on a 2-core AMD EPYC, an Adam step over a
    17k x 100 embedding and a two-layer LSTM's weights took 9.7 ms with the
    default and 1.1 ms fused (the tagger spent a tenth of its epoch there). The
    update is the same within float32 rounding (``tests/test_nets.py``). A
    user's optimizer class, a named one torch does not fuse (``'rmsprop'``) and
    other devices keep torch's default; ``SKLEARN_RNN_FUSED_OPTIMIZER=0`` keeps
    it everywhere.
    """
    if (
        isinstance(optimizer, str)
        and os.environ.get(FUSED_OPTIMIZER_ENV, "1") != "0"
        and torch.device(device).type == "cpu"
        and _fuses_on_cpu(optimizer)
    ):
        return {"optimizer__fused": True}
    return {}


@functools.cache
def _fuses_on_cpu(optimizer):
    """Whether this torch fuses the named ``optimizer`` on the CPU (Adam, AdamW, SGD from 2.4)."""
    weight = torch.zeros(2, requires_grad=True)
    weight.grad = torch.ones(2)
    try:
        OPTIMIZERS[optimizer]([weight], lr=0.1, fused=True).step()
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


#: The ``mixed_precision`` options and the dtype autocast computes in
#: (``'auto'`` becomes ``'bf16'`` or ``'no'``: :func:`resolve_precision`).
MIXED_PRECISION = {"no": None, "bf16": torch.bfloat16, "fp16": torch.float16}
PRECISION_OPTIONS = (*MIXED_PRECISION, "auto")


def cuda_bfloat16():
    """Whether torch's CUDA GPU computes bfloat16 products in hardware (Ampere on), not emulated."""
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # a torch without the keyword
        return bool(torch.cuda.is_bf16_supported())


def resolve_precision(mixed_precision, device):
    """The ``mixed_precision`` a net trains with: 'auto' is 'bf16' on a GPU that computes it.

    On CPUs 'auto' is 'no', whatever their instructions: bfloat16 autocast
    trained every layer of ``benchmarks/bench_train.py``'s grid slower than
    float32 on an Intel Xeon with AVX512-BF16 (0.32-0.95x,
    ``results/bench_train_bf16_intel_207.json``), and on an AMD EPYC with
    AVX512-BF16 slower for 6 of 18 layers (0.42-2.26x,
    ``results/bench_train_bf16.json``); it also costs accuracy. 'bf16' stays
    there for whoever times it on their CPU.
    """
    if mixed_precision == "auto":
        on_gpu = torch.device(device).type == "cuda"
        return "bf16" if on_gpu and cuda_bfloat16() else "no"
    return mixed_precision


def resolve_device(device, mixed_precision="no"):
    """'auto' is the GPU when torch sees one (respecting CUDA_VISIBLE_DEVICES), else the CPU.

    Raises a ValueError for a device torch cannot use here, and for float16
    mixed precision off CUDA (torch's CPU kernels for recurrent layers have no
    float16 version; bfloat16 works on both).
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is not a torch device ({exc}).") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but torch sees no CUDA device here "
            "(torch.cuda.is_available() is False); use device='auto' to train on the "
            "GPU when there is one and on the CPU otherwise."
        )
    if mixed_precision == "fp16" and kind != "cuda":
        raise ValueError(
            f"mixed_precision='fp16' needs a CUDA device; the model trains on {kind!r}. "
            "Use mixed_precision='bf16' (supported on CPUs and recent GPUs) or 'no'."
        )
    return device


def to_device(X, device, *, non_blocking=False):
    """Tensors (alone, in a dict or a tuple) moved to ``device``; other values as they are."""
    if isinstance(X, Mapping):
        return {k: to_device(v, device, non_blocking=non_blocking) for k, v in X.items()}
    if isinstance(X, tuple):
        return tuple(to_device(v, device, non_blocking=non_blocking) for v in X)
    if torch.is_tensor(X):
        return X.to(device, non_blocking=non_blocking)
    return X


def _flushing_denormals():
    """Whether this thread flushes subnormal floats to zero (a product that underflows)."""
    return (torch.tensor([1e-30]) * torch.tensor([1e-9])).item() == 0.0


@contextmanager
def flush_denormal():
    """Flush subnormal floats to zero on this thread while inside; restore the mode after.

    The gradient of a recurrent model's last state shrinks as it flows back
    through hundreds of steps and ends in subnormal floats, which x86 CPUs
    compute in slow microcode, for numbers below 1e-38 that change no weight
    (benchmarks/bench_train.py: flushing alone makes a last-state epoch at
    maxlen 500 1.3x to 1.9x faster on 2 cores). TensorFlow flushes
    them in its own threads by default; torch leaves it to the caller
    (``torch.set_flush_denormal``, per thread). Values that small are zero for
    training purposes.
    """
    was = _flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was)


#: When torch's thread count follows the machine's load (:func:`fair_threads`):
#: unset or ``auto``, except while a seeded estimator fits; ``1``, seeded fits
#: too; ``0``, never.
FAIR_THREADS_ENV = "SKLEARN_RNN_FAIR_THREADS"
_FAIR_THREADS_SETTINGS = ("", "auto", "0", "1")


def _fair_threads_setting():
    """``SKLEARN_RNN_FAIR_THREADS``: 'auto', '0' or '1' (a ValueError for anything else)."""
    setting = os.environ.get(FAIR_THREADS_ENV, "auto").strip().lower()
    if setting not in _FAIR_THREADS_SETTINGS:
        raise ValueError(
            f"{FAIR_THREADS_ENV}={os.environ[FAIR_THREADS_ENV]!r}: expected 'auto' (the default), "
            "'1' (fewer threads beside busy processes, seeded fits too) or '0' (never)"
        )
    return setting or "auto"


#: Seconds between a reading that sees another process busy and the reading that confirms it.
_CONFIRM_AFTER = 0.005


def _busy_elsewhere():
    """Threads of other processes running or waiting for a CPU now (Linux), or None.

    A reading that sees some is taken again :data:`_CONFIRM_AFTER` later and
    the smaller count kept, so that a program that wakes for a moment (a
    daemon, a terminal) does not cost an epoch or a prediction a thread. On a
    quiet 2-core machine, 600 ``predict_proba`` calls in a row saw another
    process busy at 9 starts with one reading, at 1 with a second one 2 ms
    later, at none with 5 or 10 ms; a process that keeps a core busy is seen
    by both readings (``tests/test_device.py``).
    """
    busy = _busy_now()
    if busy:
        time.sleep(_CONFIRM_AFTER)
        again = _busy_now()
        busy = None if again is None else min(busy, again)
    return busy


def _busy_now():
    """Threads of other processes running or waiting for a CPU at this instant, or None.

    ``/proc/loadavg``'s fourth field counts the runnable threads of the whole
    machine at this instant; this process's own runnable threads (the reader,
    OpenMP workers still spinning) are taken out. The median of three reads.
    """
    counts = []
    try:
        for _ in range(3):
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
            mine = 0
            for task in os.listdir("/proc/self/task"):
                try:
                    with open(f"/proc/self/task/{task}/stat") as f:
                        stat = f.read()
                except OSError:  # the thread ended meanwhile
                    continue
                mine += stat[stat.rindex(")") + 2] == "R"
            counts.append(max(0, running - mine))
    except (OSError, ValueError, IndexError):
        return None
    return sorted(counts)[1]


def _free_cores():
    """Cores this process may run on that no other process's thread is using now, or None.

    The runnable count is the machine's; a process pinned to some of its
    cores (``taskset``, a container's cpuset) counts its share of it, as if
    the other threads were spread evenly over the machine's cores.
    """
    busy = _busy_elsewhere()
    if busy is None:
        return None
    total = os.cpu_count() or 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = total
    return cores - round(busy * cores / max(total, cores))


@contextmanager
def fair_threads(repeatable=False):
    """Use no more torch threads than there are free cores while inside; restore after.

    torch's intra-op threads meet at a barrier after every operation, and a
    recurrent network runs thousands of small operations per batch. When
    another process keeps a core busy, one of those threads waits for the
    scheduler at each barrier and the whole fit slows far more than the
    shared cores explain (benchmarks/bench_neighbour.py, 2 cores: an epoch
    beside another torch fit took 3.9-4.0x its time alone; 0.9-1.6x with this
    policy in both processes). So an
    epoch runs on ``min(torch.get_num_threads(), free cores)`` threads, at
    least one; alone it keeps every thread. Linux only (elsewhere: torch's
    setting).

    ``repeatable``: the caller's results must not depend on the load (a seeded
    estimator's fit), so torch's count is kept. A different thread count sums
    in a different order, and training carries a difference in the last bits
    into every later step: with the policy on, the same seeded
    ``LSTMRegressor`` fit on a quiet 2-core machine ran 106-145 epochs in five
    runs and its test error moved by 6%, as other programs' brief bursts made
    3-5% of its epochs see one free core. ``SKLEARN_RNN_FAIR_THREADS``: unset
    or ``auto`` as described; ``1`` follows the load for repeatable callers
    too; ``0`` never does.
    """
    wanted = torch.get_num_threads()
    setting = _fair_threads_setting()
    free = None
    if wanted > 1 and (setting == "1" or (setting == "auto" and not repeatable)):
        free = _free_cores()
    threads = wanted if free is None else max(1, min(wanted, free))
    if threads == wanted:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(wanted)


#: Set to ``0`` to let the C library hand freed memory back to the system during fits.
KEEP_MEMORY_ENV = "SKLEARN_RNN_KEEP_MEMORY"

# glibc's mallopt parameters; while fitting, and after (the ceiling of its dynamic thresholds).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_KEEP = {_M_MMAP_MAX: 0, _M_TRIM_THRESHOLD: 2**31 - 1}
_AFTER = {_M_MMAP_MAX: 65536, _M_MMAP_THRESHOLD: 32 * 2**20, _M_TRIM_THRESHOLD: 64 * 2**20}
_memory_lock = threading.Lock()
_memory_holders = 0
_libc = None


def _glibc():
    """The GNU C library of this process (for ``mallopt``), or False elsewhere."""
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(None)
            libc.gnu_get_libc_version  # noqa: B018  (glibc only: musl, macOS lack it)
            libc.mallopt, libc.malloc_trim  # noqa: B018
        except (AttributeError, OSError, TypeError):
            libc = False
        _libc = libc
    return _libc


@contextmanager
def keep_freed_memory():
    """Keep freed memory in the process for reuse while inside (glibc); give it back after.

    A recurrent network allocates the same large blocks batch after batch (the
    states of every step, their gradients, the input projection). glibc serves
    blocks above its ``mmap`` threshold (128 KiB at first, raised as such
    blocks are freed, up to 32 MiB) from fresh pages, and hands a large free
    heap top back to the system, so batch after batch touches new pages and
    pays a page fault per 4 KiB, with the intra-op threads contending for it.
    While inside (reference-counted: fits running in several threads share
    it), large blocks come from the heap and the heap is not trimmed,
    so freed blocks are reused as they are in TensorFlow's or torch's CUDA
    caching allocators. The outermost exit trims the heap, so the memory goes
    back to the system after each fit, and leaves glibc where its dynamic
    thresholds end up after large blocks are freed (``mmap`` above 32 MiB, a
    heap top over 64 MiB handed back), since setting any of them turns the
    dynamic rule off for good. Training only: a prediction frees less, and
    trimming after each would cost more than it saves.
    glibc only (Linux); elsewhere, and with ``SKLEARN_RNN_KEEP_MEMORY=0``,
    nothing changes. Results are the same either way: only where memory
    comes from changes.
    """
    global _memory_holders
    libc = os.environ.get(KEEP_MEMORY_ENV, "1") != "0" and _glibc()
    if not libc:
        yield
        return
    with _memory_lock:
        if _memory_holders == 0:
            for param, value in _KEEP.items():
                libc.mallopt(param, value)
        _memory_holders += 1
    try:
        yield
    finally:
        with _memory_lock:
            _memory_holders -= 1
            if _memory_holders == 0:
                for param, value in _AFTER.items():
                    libc.mallopt(param, value)
                libc.malloc_trim(0)


@contextmanager
def cpu_policy(repeatable=False):
    """The CPU's training and inference setting: subnormals flushed, fair threads."""
    with flush_denormal(), fair_threads(repeatable):
        yield


class DevicePathMixin:
    """The accelerator path of a skorch net: mixed precision and non-blocking copies.

    ``mixed_precision`` (a net parameter): ``'no'``; ``'bf16'``, the forward
    pass and loss under ``torch.autocast`` in bfloat16 (same exponent range as
    float32, so no loss scaling); or ``'fp16'``, autocast in float16 with a
    ``torch.amp.GradScaler``: the loss is scaled before ``backward``, the
    gradients unscaled right after it, before the ``on_grad_computed``
    callbacks (so gradient clipping sees their true norm), and a step whose
    gradients overflowed is skipped. Outputs leave the net as float32.

    On CUDA, batches are copied with ``non_blocking=True``, inputs and
    targets alike: a copy from ordinary memory is staged by the driver and
    waits for nothing on the device (the estimators do not pin their batches,
    see ``_base``), and the batches'
    losses are read back when the epoch's loop ends, not one by one (each read
    waits for the device to finish the batch; :meth:`record_batch_value`): the
    host queues the next batch while the device computes. On the CPU,
    training and validation epochs and inference run with subnormal floats
    flushed to zero (:func:`flush_denormal`) on no more threads than the free
    cores (:func:`fair_threads`), and a fit reuses the memory its batches free
    (:func:`keep_freed_memory`). ``repeatable`` (a net parameter, set for a
    seeded estimator): the fit, and any inference inside it (validation
    scorers), keeps torch's thread count whatever the load, so that the same
    seed trains the same weights; inference after the fit follows the load
    either way (its outputs can differ at most in the last bits, and nothing
    carries the difference further; identical in the cases measured).
    """

    def __init__(self, *args, mixed_precision="no", repeatable=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision
        self.repeatable = repeatable

    repeatable = False  # for nets pickled before it was a parameter
    _fitting = False  # inside fit_loop

    @property
    def _device_type(self):
        return torch.device(self.device).type

    def autocast(self):
        """The autocast context of ``mixed_precision`` (a no-op for 'no')."""
        dtype = MIXED_PRECISION[resolve_precision(self.mixed_precision, self.device)]
        return torch.autocast(self._device_type, dtype=dtype, enabled=dtype is not None)

    def initialize(self):
        super().initialize()
        self.grad_scaler_ = torch.amp.GradScaler(
            self._device_type, enabled=self.mixed_precision == "fp16"
        )
        return self

    def move(self, X):
        """Tensors of X (alone, in a dict or a tuple) on the net's device; non-blocking on CUDA."""
        return to_device(X, self.device, non_blocking=self._device_type == "cuda")

    def infer(self, x, **fit_params):
        return super().infer(self.move(x), **fit_params)

    def train_step_single(self, batch, **fit_params):
        # skorch's step with autocast around the forward pass and the loss, and
        # the loss scaled for backward (the loss itself when not scaling). The
        # whole batch moves first: skorch's get_loss would copy the targets (and
        # ours the sample weights) with a blocking copy, a wait for the device.
        self._set_training(True)
        Xi, yi = self.move(unpack_data(batch))
        loss, y_pred = self.backward_loss(Xi, yi, **fit_params)
        if self.grad_scaler_.is_enabled():
            # Before skorch notifies on_grad_computed: clipping sees true norms.
            for name in self._optimizers:
                self.grad_scaler_.unscale_(getattr(self, name + "_"))
        return {"loss": loss, "y_pred": y_pred}

    def backward_loss(self, Xi, yi, **fit_params):
        """The training loss of a batch and the predictions, after backward of the (scaled) loss."""
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.grad_scaler_.scale(loss).backward()
        return loss, y_pred

    def validation_step(self, batch, **fit_params):
        # skorch's, with the batch moved as in training (no blocking copies).
        return super().validation_step(self.move(batch), **fit_params)

    def record_batch_value(self, key, value):
        """Record a one-element tensor as ``key`` of the current batch's history row.

        On the CPU at once, as a float. On other devices the tensor is kept and
        read back with the epoch's other values when its loop ends: ``.item()``
        would wait for the device to finish the batch, and the host could not
        queue the next batch's work meanwhile.
        """
        pending = getattr(self, "_pending_batch_values", None)
        if pending is None:
            self.history.record_batch(key, value.item())
        else:
            pending.append((self.history[-1]["batches"][-1], key, value.detach()))

    def _step_optimizer(self, step_fn):
        # skorch's train_step runs the step (zero_grad, forward, backward,
        # on_grad_computed) as an optimizer closure; GradScaler.step takes no
        # closure, so with loss scaling the step runs first and the scaler
        # steps (or skips an overflowed step) after it. skorch's own
        # train_step is kept: only this hook differs.
        if not self.grad_scaler_.is_enabled():
            return super()._step_optimizer(step_fn)
        step_fn()
        for name in self._optimizers:
            self.grad_scaler_.step(getattr(self, name + "_"))
        self.grad_scaler_.update()

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # What a batch frees serves the next batches, of every epoch, until the fit ends.
        if self._device_type != "cpu":
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        self._fitting = True
        try:
            with keep_freed_memory():
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            self._fitting = False

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if self._device_type != "cpu":
            return self._run_epoch_on_device(iterator, training, prefix, step_fn, **fit_params)
        with cpu_policy(self.repeatable):
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def _run_epoch_on_device(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch loop, each batch's loss read back when the loop ends.

        skorch records a batch's loss with ``loss.item()``, a wait for the
        device after every batch. Here the losses (and the values given to
        :meth:`record_batch_value`) stay on the device and are copied back in
        one transfer into their batches' rows of the history, before the epoch's
        scores are computed. Callbacks get the step's loss tensor in
        ``on_batch_end`` as before; the row's float is written at the epoch's end.
        """
        if iterator is None:
            return
        pending = self._pending_batch_values = []
        batch_count = 0
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                self.record_batch_value(prefix + "_loss", step["loss"])
                inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
                self.history.record_batch(prefix + "_batch_size", get_len(inputs))
                self.notify("on_batch_end", batch=batch, training=training, **step)
                batch_count += 1
        finally:
            self._pending_batch_values = None
        if pending:
            values = torch.stack([value.float() for _, _, value in pending]).tolist()
            for (row, key, _), value in zip(pending, values):
                row[key] = value
        self.history.record(prefix + "_batch_count", batch_count)

    def evaluation_step(self, batch, training=False):
        with self.autocast():
            y_pred = super().evaluation_step(batch, training=training)
        if torch.is_tensor(y_pred) and y_pred.is_floating_point():
            y_pred = y_pred.float()
        return y_pred

    def forward_method_iter(self, dataset, method=None, *, y_as=None, **kwargs):
        """Outputs of ``module_.<method>`` (``forward`` by default), batch after batch.

        The one inference loop of the estimators: skorch's validation iterator
        (collate function, batch size), the module in eval mode,
        no gradients, autocast and the CPU policy (:func:`cpu_policy`) as in
        training. The method is called with the
        batch's X (a dict, as keyword arguments), its y as the keyword ``y_as``
        when given, and ``kwargs``. Yields each batch's output on the CPU,
        floating outputs as float32. On other devices a batch's output is
        copied back after the next batch's work is queued: the copy waits for
        the device, and the device then has the next batch to compute while the
        host pads the one after it.
        """
        self.check_is_fitted()
        self._set_training(False)
        call = self.module_ if method is None else getattr(self.module_, method)
        on_cpu = self._device_type == "cpu"
        policy = cpu_policy(self.repeatable and self._fitting) if on_cpu else nullcontext()
        with torch.no_grad(), self.autocast(), policy:
            queued = None
            for batch in self.get_iterator(dataset, training=False):
                Xi, yi = self.move(unpack_data(batch))
                if y_as is not None:
                    kwargs[y_as] = yi
                out = call(**Xi, **kwargs)
                if on_cpu:
                    yield _to_cpu(out)
                    continue
                if queued is not None:
                    yield _to_cpu(queued)
                queued = out
            if queued is not None:
                yield _to_cpu(queued)


def _to_cpu(out):
    if isinstance(out, tuple):
        return tuple(_to_cpu(o) for o in out)
    if torch.is_tensor(out):
        return (out.float() if out.is_floating_point() else out).cpu()
    return out


class WeightedLossMixin:
    """skorch's loss, weighted per sample (the criterion is built with reduction='none').

    An ensemble's outputs in training, (batch, members, outputs), give each
    member its own loss against the same targets; a sample's loss is their
    mean, so each member is trained as if alone.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        targets = y_true
        if y_pred.ndim == 3:  # an ensemble in training (batch, members, outputs): a loss each
            targets = torch.as_tensor(y_true, device=y_pred.device)
            members = y_pred.shape[1]
            if isinstance(self.criterion_, torch.nn.CrossEntropyLoss):  # class indices
                y_pred = y_pred.transpose(1, 2)  # (batch, classes, members)
                targets = targets.unsqueeze(1).expand(-1, members)
            else:
                targets = targets.reshape(len(targets), 1, -1).expand(-1, members, -1)
        losses = super().get_loss(y_pred, targets, X=X, training=training)
        if losses.ndim > 1:  # several outputs: average them per sample
            losses = losses.mean(dim=tuple(range(1, losses.ndim)))
        weights = X["sample_weight"].to(losses.device)
        class_weight = getattr(self.criterion_, "weight", None)
        if class_weight is not None:
            # Same normaliser as torch's weighted mean, times the sample weights.
            denom = (weights * class_weight[y_true.to(losses.device)]).sum()
        else:
            denom = weights.sum()
        return (losses * weights).sum() / denom.clamp_min(1e-12)


@contextmanager
def _forward_hooks(modules, hook):
    handles = [module.register_forward_hook(hook) for module in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _adversarial_inputs(module):
    """The submodules whose outputs the adversarial step moves (see AdversarialEmbeddingMixin)."""
    own = getattr(module, "adversarial_input", None)
    if own is not None:
        return [own]
    members = getattr(module, "members", None)
    if members is not None:  # an ensemble: each member's own
        return [point for member in members for point in _adversarial_inputs(member)]
    return [module.encoder.embedding]


class AdversarialEmbeddingMixin:
    """Adversarial training on the embedded input (Miyato, Dai & Goodfellow 2017).

    With ``adversarial_eps`` > 0, each training step also backpropagates the
    batch's loss at embedded inputs ``e`` moved by ``r = eps * ||e|| g / ||g||``,
    where ``g`` is the gradient of the loss with respect to a sequence's
    embedded steps and the norms are taken over the whole sequence: the small
    move that raises the loss fastest. The size is relative to the
    sequence's own embedding, so one ``eps`` means the same for small learned
    vectors and for pretrained ones (Miyato et al. normalise the embeddings
    instead), and the network cannot escape it by growing its vectors. The
    network learns to be flat around its training examples in embedding
    space. Each step costs a second forward and backward pass.
    ``train_loss`` stays the clean loss; each batch's row of the history also
    holds ``train_adversarial_loss``. The perturbed vectors are the output of
    the module's ``adversarial_input`` submodule when it has one (the tagger's
    step vectors: word embedding beside the character vector, as in Yasunaga,
    Kasai & Radev 2018), else of its ``encoder.embedding`` (token-id input);
    in an ensemble, each member's embedding, each moved along the gradient of
    its own loss.
    """

    def __init__(self, *args, adversarial_eps=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.adversarial_eps = adversarial_eps

    def backward_loss(self, Xi, yi, **fit_params):
        if not self.adversarial_eps:
            return super().backward_loss(Xi, yi, **fit_params)
        embeddings = _adversarial_inputs(self.module_)
        embedded = {}

        def keep(module, inputs, output):
            if not output.requires_grad:  # a frozen embedding
                output = output.detach().requires_grad_()
            output.retain_grad()
            embedded[module] = output
            return output

        with _forward_hooks(embeddings, keep):
            loss, y_pred = super().backward_loss(Xi, yi, **fit_params)
        moves = {}
        for module, output in embedded.items():
            # The gradient of a scaled loss has the same direction.
            grad = output.grad.detach().float()
            size = output.detach().float().flatten(1).norm(dim=1)
            scale = self.adversarial_eps * size / grad.flatten(1).norm(dim=1).clamp_min(1e-12)
            moves[module] = grad * scale.view(-1, *[1] * (grad.ndim - 1))

        def move(module, inputs, output):
            return output + moves[module].to(output.dtype)

        with _forward_hooks(embeddings, move):
            adversarial_loss, _ = super().backward_loss(Xi, yi, **fit_params)
        self.record_batch_value("train_adversarial_loss", adversarial_loss)
        return loss, y_pred


class WeightedNeuralNetClassifier(
    AdversarialEmbeddingMixin, DevicePathMixin, WeightedLossMixin, NeuralNetClassifier
):
    """skorch's classifier net with per-sample weights, the device path and adversarial training.

    Parameters
    ----------
    adversarial_eps : float, default=0.0
        See :class:`AdversarialEmbeddingMixin`.
    *args, **kwargs
        ``mixed_precision`` and ``repeatable`` (see :class:`DevicePathMixin`) and skorch's
        parameters of ``NeuralNetClassifier``.
    """


class WeightedNeuralNetMultiLabel(
    AdversarialEmbeddingMixin, DevicePathMixin, WeightedLossMixin, NeuralNet
):
    """A net for multi-label targets (a sigmoid loss per label), with the classifier's extras.

    skorch's ``NeuralNetClassifier`` scores validation accuracy as one label
    per sample; here the validation loss alone drives early stopping.

    Parameters
    ----------
    adversarial_eps : float, default=0.0
        See :class:`AdversarialEmbeddingMixin`.
    *args, **kwargs
        ``mixed_precision`` and ``repeatable`` (see :class:`DevicePathMixin`) and skorch's
        parameters of ``NeuralNet``.
    """


class WeightedNeuralNetRegressor(DevicePathMixin, WeightedLossMixin, NeuralNetRegressor):
    """skorch's regressor net with per-sample weights and the device path.

    Parameters
    ----------
    mixed_precision : {'no', 'bf16', 'fp16'}, default='no'
        See :class:`DevicePathMixin`.
    repeatable : bool, default=False
        See :class:`DevicePathMixin`.
    *args, **kwargs
        skorch's parameters of ``NeuralNetRegressor``.
    """


class Seq2SeqNet(DevicePathMixin, NeuralNet):
    """skorch's NeuralNet with the loss averaged over the real target tokens of a batch.

    Parameters
    ----------
    mixed_precision : {'no', 'bf16', 'fp16'}, default='no'
        See :class:`DevicePathMixin`.
    repeatable : bool, default=False
        See :class:`DevicePathMixin`.
    *args, **kwargs
        skorch's ``NeuralNet`` parameters.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(y_pred.device)
        losses = self.criterion_(y_pred.transpose(1, 2), y_true)  # (batch, steps)
        return losses.sum() / (y_true != PAD_ID).sum().clamp_min(1)


class LanguageModelNet(DevicePathMixin, NeuralNet):
    """skorch's NeuralNet for class language models: the loss per predicted token.

    The module gives each sequence's log-likelihood under its own class's
    model; the criterion (:class:`~sklearn_rnn.modules.SequenceNLLLoss`)
    negates it, and the loss is the sum weighted by the sequences' sample
    weights divided by their weighted token counts: the mean negative
    log-likelihood per token, whose exponential is the perplexity.

    Parameters
    ----------
    mixed_precision : {'no', 'bf16', 'fp16'}, default='no'
        See :class:`DevicePathMixin`.
    repeatable : bool, default=False
        See :class:`DevicePathMixin`.
    *args, **kwargs
        skorch's ``NeuralNet`` parameters.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses = self.criterion_(y_pred)
        weights = X["sample_weight"].to(losses.device)
        tokens = (X["lengths"] - 1).to(losses.device)  # the begin id is never predicted
        return (losses * weights).sum() / (tokens * weights).sum().clamp_min(1e-12)


class TaggerNet(AdversarialEmbeddingMixin, DevicePathMixin, NeuralNet):
    """skorch's NeuralNet with the loss averaged over the labelled steps, weighted per sequence.

    The criterion (``CrossEntropyLoss(reduction='none')``) gives padding
    steps, labelled ``IGNORE_LABEL``, a loss of 0; each step's loss is
    weighted by its sequence's sample weight, and the sum divided by the
    weights of the labelled steps. A module with a ``crf``
    (:class:`~sklearn_rnn.modules.LinearChainCRF`) is trained on each
    sequence's negative log-likelihood instead, weighted and divided alike.

    Parameters
    ----------
    adversarial_eps : float, default=0.0
        See :class:`AdversarialEmbeddingMixin`.
    *args, **kwargs
        ``mixed_precision`` and ``repeatable`` (see :class:`DevicePathMixin`) and skorch's
        ``NeuralNet`` parameters.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(y_pred.device)
        sample_weight = X["sample_weight"].to(y_pred.device)
        if y_pred.ndim == 4:  # an ensemble in training (batch, members, steps, tags)
            # Each member's loss on the batch; their mean is the loss trained.
            members = y_pred.shape[1]
            y_pred = y_pred.flatten(0, 1)
            y_true = y_true.repeat_interleave(members, dim=0)
            sample_weight = sample_weight.repeat_interleave(members, dim=0)
        labelled = y_true != IGNORE_LABEL
        weights = sample_weight.unsqueeze(1) * labelled
        crf = getattr(self.module_, "crf", None)
        if crf is not None:
            # A sequence's negative log-likelihood sums over its steps: weighted
            # by the sequence and divided by the weighted steps, as below.
            nll = crf.neg_log_likelihood(y_pred, y_true, labelled)
            return (nll * weights[:, 0]).sum() / weights.sum().clamp_min(1e-12)
        losses = self.criterion_(y_pred.transpose(1, 2).float(), y_true)  # (batch, steps)
        return (losses * weights).sum() / weights.sum().clamp_min(1e-12)


class TeacherForcingSchedule(Callback):
    """Set the teacher-forcing ratio at each epoch: ``ratio * decay ** epoch``; record it.

    Parameters
    ----------
    ratio : float, default=1.0
        The ratio of the first epoch (epoch 0).
    decay : float, default=1.0
        Its factor per epoch.
    """

    def __init__(self, ratio=1.0, decay=1.0):
        self.ratio = ratio
        self.decay = decay

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1  # the net has opened this epoch's row already
        ratio = self.ratio * self.decay**epoch
        net.module_.teacher_forcing_ratio = ratio
        net.history.record("teacher_forcing_ratio", ratio)
