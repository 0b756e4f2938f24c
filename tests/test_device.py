"""The device path: mixed precision (autocast, loss scaling), device checks.

CUDA itself is exercised only where torch sees a GPU (those tests skip here
otherwise); the autocast and GradScaler logic runs on the CPU in bfloat16.
"""

import os
import platform
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from tasks import order_task

from sklearn_rnn import LSTMRegressor, RNNClassifier, Seq2SeqEstimator, _recurrence

CUDA = torch.cuda.is_available()


def _order_task(n, seed=0):
    return order_task(n, np.random.default_rng(seed))


class RecordGradNorm(Callback):
    """The total gradient norm each on_grad_computed callback sees."""

    def __init__(self):
        self.norms = []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))


class ForceGradScaler(Callback):
    """Swap in an enabled GradScaler (float16's path) on the CPU, where fp16 cannot run."""

    def on_train_begin(self, net, **kwargs):
        net.grad_scaler_ = torch.amp.GradScaler("cpu", init_scale=2.0**12)


def test_bf16_mixed_precision_trains_and_returns_full_precision():
    X, y = _order_task(400)
    clf = RNNClassifier(
        mixed_precision="bf16", hidden_size=16, embedding_dim=8, lr=1e-2, max_epochs=15,
        early_stopping=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64  # as without autocast
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert clf.transform(X[:5]).dtype == np.float32
    X_test, y_test = _order_task(200, seed=1)
    assert clf.score(X_test, y_test) > 0.9


def test_bf16_predictions_close_to_float32_predictions():
    """Autocast changes the arithmetic, not the model: bf16 and fp32 outputs agree."""
    X, y = _order_task(200)
    clf = RNNClassifier(hidden_size=16, embedding_dim=8, max_epochs=3, random_state=0).fit(X, y)
    full = clf.predict_proba(X)
    clf.net_.mixed_precision = "bf16"
    half = clf.predict_proba(X)
    assert np.abs(full - half).max() < 0.05


@pytest.mark.parametrize("amx", [True, False])
def test_auto_precision_is_float32_on_any_cpu(monkeypatch, amx):
    """'auto' trains in float32 on a CPU, even one with AVX512-BF16 or AMX instructions.

    bfloat16 autocast trained slower than float32 on such CPUs
    (``benchmarks/results/bench_train_bf16*.json``); only a GPU that computes
    it in hardware gets it.
    """
    from sklearn_rnn._nets import resolve_precision

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert resolve_precision("auto", "cpu") == "no"
    assert resolve_precision("no", "cpu") == "no"  # an explicit choice stays
    assert resolve_precision("bf16", "cpu") == "bf16"
    X, y = _order_task(100)
    clf = RNNClassifier(
        mixed_precision="auto", hidden_size=8, embedding_dim=8, max_epochs=1, random_state=0,
        device="cpu",
    ).fit(X, y)  # fmt: skip
    assert clf.get_params()["mixed_precision"] == "auto"  # the parameter is not rewritten
    assert clf.net_.mixed_precision == "no"
    assert not clf.net_.autocast()._enabled


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_on_a_gpu_that_computes_it(monkeypatch, native):
    """On CUDA, 'auto' is bfloat16 where the GPU computes it without emulation."""
    from sklearn_rnn import _nets

    def supported(including_emulation=True):
        return native or including_emulation

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
    assert _nets.resolve_precision("auto", "cuda") == ("bf16" if native else "no")
    assert _nets.resolve_precision("auto", "cuda:0") == ("bf16" if native else "no")
    assert _nets.resolve_precision("fp16", "cuda") == "fp16"


def test_auto_precision_of_a_net_built_directly():
    """A skorch net of ours given mixed_precision='auto' resolves it as the estimators do."""
    from sklearn_rnn._nets import WeightedNeuralNetClassifier
    from sklearn_rnn.modules import ManyToOneModule

    net = WeightedNeuralNetClassifier(ManyToOneModule, mixed_precision="auto", device="cpu")
    assert not net.autocast()._enabled


def test_loss_scaling_unscales_before_clipping_callbacks():
    """With a loss scale of 4096 the callbacks see the same gradient norm as without one."""
    X, y = _order_task(128)
    params = dict(
        mixed_precision="bf16", hidden_size=8, embedding_dim=8, batch_size=128, max_epochs=1,
        early_stopping=False, gradient_clip_value=None, random_state=0,
    )  # fmt: skip
    plain, scaled = RecordGradNorm(), RecordGradNorm()
    RNNClassifier(callbacks=[plain], **params).fit(X, y)
    clf = RNNClassifier(callbacks=[ForceGradScaler(), scaled], **params).fit(X, y)
    assert len(plain.norms) == len(scaled.norms) == 1
    assert scaled.norms[0] == pytest.approx(plain.norms[0], rel=0.05)
    assert clf.net_.grad_scaler_.is_enabled()


def test_loss_scaled_training_learns_with_clipping():
    X, y = _order_task(400)
    clf = RNNClassifier(
        mixed_precision="bf16", hidden_size=16, embedding_dim=8, lr=1e-2, max_epochs=15,
        early_stopping=False, random_state=0, callbacks=[ForceGradScaler()],
    ).fit(X, y)  # fmt: skip
    X_test, y_test = _order_task(200, seed=1)
    assert clf.score(X_test, y_test) > 0.9


@pytest.mark.filterwarnings("ignore:.*max_output_length")
def test_bf16_regressor_and_seq2seq_run():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 6, 1)).astype(np.float32)
    y = X.sum(axis=(1, 2))
    reg = LSTMRegressor(mixed_precision="bf16", max_epochs=2, random_state=0).fit(X, y)
    assert reg.predict(X).dtype == np.float64 and np.isfinite(reg.predict(X)).all()
    src = ["a b c", "b c d", "c d e", "d e f"] * 4
    tgt = ["c b a", "d c b", "e d c", "f e d"] * 4
    s2s = Seq2SeqEstimator(
        mixed_precision="bf16", hidden_size=8, embedding_dim=8, max_epochs=2,
        early_stopping=False, random_state=0,
    ).fit(src, tgt)  # fmt: skip
    assert len(s2s.predict(src[:3])) == 3
    assert s2s.log_likelihood(src[:3], tgt[:3]).dtype == np.float64


def test_bf16_lstm_runs_in_float32_where_the_cpu_has_no_bfloat16_kernel(monkeypatch):
    # oneDNN's bfloat16 LSTM needs AVX-512; without it the layer runs in float32
    # (the fallback is forced here; where this CPU has the kernel, its path is
    # checked too).
    torch.manual_seed(0)
    layer = torch.nn.LSTM(3, 4, batch_first=True)
    x, state = torch.randn(2, 5, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))
    full, _ = layer(x, state)
    cpu_can = _recurrence.cpu_bfloat16_lstm()
    monkeypatch.setattr(_recurrence, "cpu_bfloat16_lstm", lambda: False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, (h, c) = _recurrence.call_layer(layer, x, state)
    assert out.dtype == h.dtype == c.dtype == torch.float32
    torch.testing.assert_close(out, full)
    if cpu_can:  # then autocast's own dtype
        monkeypatch.setattr(_recurrence, "cpu_bfloat16_lstm", lambda: True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out, _ = _recurrence.call_layer(layer, x, state)
        assert out.dtype == torch.bfloat16


@pytest.mark.skipif(CUDA, reason="checks the error raised without a GPU")
def test_fp16_without_cuda_is_a_clear_error():
    X, y = _order_task(20)
    with pytest.raises(ValueError, match="mixed_precision='fp16' needs a CUDA device"):
        RNNClassifier(mixed_precision="fp16", max_epochs=1).fit(X, y)


@pytest.mark.skipif(CUDA, reason="checks the error raised without a GPU")
def test_cuda_device_without_cuda_is_a_clear_error():
    X, y = _order_task(20)
    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        RNNClassifier(device="cuda", max_epochs=1).fit(X, y)


def test_unknown_device_and_precision_are_named():
    X, y = _order_task(20)
    with pytest.raises(ValueError, match="not a torch device"):
        RNNClassifier(device="gpu0", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="mixed_precision"):
        RNNClassifier(mixed_precision="float16", max_epochs=1).fit(X, y)


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["no", "bf16", "fp16"])
def test_cuda_training_unpinned_batches_and_mixed_precision(precision):
    X, y = _order_task(400)
    clf = RNNClassifier(
        device="cuda", mixed_precision=precision, hidden_size=16, embedding_dim=8, lr=1e-2,
        max_epochs=15, early_stopping=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert next(clf.net_.module_.parameters()).is_cuda
    # Batches stay in ordinary memory: pinning in the loop cost more than it saved.
    assert clf.net_.iterator_train__pin_memory is False
    assert clf.net_.grad_scaler_.is_enabled() == (precision == "fp16")
    X_test, y_test = _order_task(200, seed=1)
    assert clf.score(X_test, y_test) > 0.9


class RecordBatchEnd(Callback):
    """What on_batch_end sees: the step's loss, and whether the row already holds it."""

    def __init__(self):
        self.losses, self.in_row = [], []

    def on_batch_end(self, net, training=False, loss=None, **kwargs):
        if training:
            self.losses.append(loss)
            self.in_row.append("train_loss" in net.history[-1, "batches", -1])


def _batch_rows(history):
    return [[dict(row) for row in epoch["batches"]] for epoch in history]


@pytest.mark.parametrize("adversarial_eps", [0.0, 0.1])
def test_losses_read_back_when_the_epoch_ends_fill_the_same_history(monkeypatch, adversarial_eps):
    """The device path's epoch loop records what skorch's does (run here on the CPU)."""
    from sklearn_rnn._nets import DevicePathMixin, cpu_policy

    X, y = _order_task(96)
    params = dict(
        hidden_size=8, embedding_dim=8, max_epochs=2, batch_size=16, patience=5,
        adversarial_eps=adversarial_eps, random_state=0, device="cpu",
    )  # fmt: skip
    plain = RNNClassifier(**params).fit(X, y)

    def on_device(self, iterator, training, prefix, step_fn, **fit_params):
        with cpu_policy():
            return self._run_epoch_on_device(iterator, training, prefix, step_fn, **fit_params)

    monkeypatch.setattr(DevicePathMixin, "run_single_epoch", on_device)
    record = RecordBatchEnd()
    later = RNNClassifier(**params, callbacks=[record]).fit(X, y)
    assert record.losses and all(torch.is_tensor(loss) for loss in record.losses)
    assert not any(record.in_row)  # the floats come when the loop ends
    rows, expected = _batch_rows(later.history_), _batch_rows(plain.history_)
    assert [[set(r) for r in epoch] for epoch in rows] == [
        [set(r) for r in epoch] for epoch in expected
    ]
    assert any("valid_loss" in r for r in rows[0])
    for epoch, reference in zip(rows, expected):
        for row, ref in zip(epoch, reference):
            assert all(isinstance(v, (int, float)) for v in row.values())
            assert row == pytest.approx(ref, rel=1e-5)
    for key in ("train_loss", "valid_loss", "train_batch_count", "valid_batch_count"):
        assert later.history_[:, key] == pytest.approx(plain.history_[:, key], rel=1e-5)


@pytest.mark.filterwarnings("ignore::UserWarning")  # autocast("cuda") off, without CUDA
def test_inference_a_batch_behind_on_a_device_gives_the_same_outputs(monkeypatch):
    """Off the CPU a batch's output is copied back after the next is queued (run on the CPU)."""
    from sklearn_rnn._nets import DevicePathMixin

    X, y = _order_task(50)
    clf = RNNClassifier(hidden_size=8, embedding_dim=8, max_epochs=1, batch_size=8).fit(X, y)
    clf.net_.device = "cpu"
    expected, rep = clf.predict_proba(X), clf.transform(X)
    monkeypatch.setattr(DevicePathMixin, "_device_type", property(lambda self: "cuda"))
    assert clf.net_._device_type == "cuda"
    np.testing.assert_array_equal(clf.predict_proba(X), expected)  # 7 batches, one behind
    np.testing.assert_array_equal(clf.transform(X), rep)
    # A single batch of 3 rows, not the first 3 of a batch of 8: the CPU's
    # product may sum in another order for another batch size (CI saw 6e-8).
    np.testing.assert_allclose(clf.predict_proba(X[:3]), expected[:3], rtol=1e-6, atol=1e-7)


class SyncsAreErrors(Callback):
    """CUDA's sync debug mode set to 'error' over each training step."""

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            torch.cuda.set_sync_debug_mode("error")

    def on_batch_end(self, net, **kwargs):
        torch.cuda.set_sync_debug_mode("default")

    def on_train_end(self, net, **kwargs):
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["no", "bf16"])
def test_a_cuda_training_step_never_waits_for_the_device(precision):
    # A wait (a blocking copy, a .item()) inside the step raises in this mode.
    X, y = _order_task(200)
    clf = RNNClassifier(
        device="cuda", mixed_precision=precision, adversarial_eps=0.1, ema_decay=0.9,
        max_epochs=2, random_state=0, callbacks=[SyncsAreErrors()],
    ).fit(X, y)  # fmt: skip
    assert all(isinstance(v, float) for v in clf.history_[:, "train_loss"])
    assert all(
        isinstance(row["train_adversarial_loss"], float) for row in clf.history_[-1]["batches"]
        if "train_adversarial_loss" in row
    )  # fmt: skip


class RecordFlushing(Callback):
    def __init__(self):
        self.seen = []

    def on_batch_begin(self, net, **kwargs):
        from sklearn_rnn._nets import _flushing_denormals

        self.seen.append(_flushing_denormals())


@pytest.mark.parametrize("before", [False, True])
def test_cpu_training_flushes_denormals_and_restores_the_mode(before):
    from sklearn_rnn._nets import _flushing_denormals

    X, y = _order_task(64)
    record = RecordFlushing()
    torch.set_flush_denormal(before)
    try:
        RNNClassifier(max_epochs=2, device="cpu", callbacks=[record], random_state=0).fit(X, y)
        assert record.seen and all(record.seen)  # training and validation batches
        assert _flushing_denormals() == before
    finally:
        torch.set_flush_denormal(False)


class RecordThreads(Callback):
    def __init__(self):
        self.seen = []

    def on_batch_begin(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    "setting, seed, threads",
    [
        (None, None, 1),  # the default: an unseeded fit follows the load
        ("auto", None, 1),
        (None, 0, 2),  # a seeded fit keeps torch's count, to repeat bit for bit
        ("1", 0, 1),  # ... unless told to follow the load all the same
        ("0", None, 2),
    ],
)
def test_fewer_threads_when_other_processes_hold_the_cores_same_model(
    monkeypatch, two_threads, setting, seed, threads
):
    """One core free: an epoch runs on one thread unless the fit must repeat; same model."""
    from sklearn_rnn import _nets

    X, y = _order_task(64)
    params = dict(max_epochs=2, device="cpu", random_state=seed)
    if seed is not None:  # the same seed on torch's thread count, for comparison
        monkeypatch.setenv("SKLEARN_RNN_FAIR_THREADS", "0")
        alone = RNNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_nets, "_free_cores", lambda: 1)
    if setting is None:
        monkeypatch.delenv("SKLEARN_RNN_FAIR_THREADS", raising=False)
    else:
        monkeypatch.setenv("SKLEARN_RNN_FAIR_THREADS", setting)
    record = RecordThreads()
    shared = RNNClassifier(**params, callbacks=[record]).fit(X, y)
    assert set(record.seen) == {threads}  # training and validation batches
    assert torch.get_num_threads() == 2  # restored
    if seed is not None:
        np.testing.assert_allclose(shared.predict_proba(X), alone.predict_proba(X), atol=1e-5)
        assert torch.get_num_threads() == 2


class PredictDuringFit(Callback):
    """A user's callback that runs inference inside the fit (e.g. its own validation score)."""

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        net.predict_proba(dataset_valid)


def test_a_seeded_fit_ignores_the_load_and_its_predictions_after_the_fit_follow_it(
    monkeypatch, two_threads
):
    """Every thread change is recorded: none inside the fit, one core after it."""
    from sklearn_rnn import _nets

    X, y = _order_task(64)
    monkeypatch.delenv("SKLEARN_RNN_FAIR_THREADS", raising=False)
    monkeypatch.setattr(_nets, "_free_cores", lambda: 1)
    changes = []
    set_threads = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (changes.append(n), set_threads(n)))
    clf = RNNClassifier(max_epochs=2, device="cpu", random_state=0, callbacks=[PredictDuringFit()])
    clf.fit(X, y)
    assert changes == []  # the epochs and the callback's inference inside the fit
    clf.predict_proba(X)
    assert changes == [1, 2]  # one thread, then torch's count back
    clf.set_params(random_state=None).fit(X, y)
    assert changes.count(1) > 2  # an unseeded fit follows the load


def test_a_seeded_fit_repeats_bit_for_bit_under_a_changing_load(monkeypatch, two_threads):
    """Other programs come and go during the fit: the same seed gives the same weights."""
    from sklearn_rnn import _nets

    X, y = _order_task(256)  # following the load, the predictions differed by 6e-8
    params = dict(max_epochs=4, device="cpu", random_state=0, hidden_size=64)
    monkeypatch.delenv("SKLEARN_RNN_FAIR_THREADS", raising=False)
    monkeypatch.setattr(_nets, "_free_cores", lambda: 2)
    quiet = RNNClassifier(**params).fit(X, y).predict_proba(X)
    loads = iter([1, 2] * 1000)
    monkeypatch.setattr(_nets, "_free_cores", lambda: next(loads))
    busy = RNNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_nets, "_free_cores", lambda: 2)
    np.testing.assert_array_equal(busy.predict_proba(X), quiet)


def test_an_unknown_fair_threads_setting_is_refused(monkeypatch):
    X, y = _order_task(16)
    monkeypatch.setenv("SKLEARN_RNN_FAIR_THREADS", "yes")
    with pytest.raises(ValueError, match="SKLEARN_RNN_FAIR_THREADS='yes'"):
        RNNClassifier(max_epochs=1, device="cpu", random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "busy, affinity, machine, free",
    [(0, 2, 2, 2), (1, 2, 2, 1), (3, 2, 2, -1), (30, 2, 64, 1), (8, 2, 64, 2), (10, 16, 16, 6)],
)
def test_free_cores_count_a_pinned_process_s_share_of_the_load(
    monkeypatch, busy, affinity, machine, free
):
    from sklearn_rnn import _nets

    monkeypatch.setattr(_nets, "_busy_elsewhere", lambda: busy)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(affinity)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: machine)
    assert _nets._free_cores() == free


@pytest.mark.parametrize("readings, busy", [([0], 0), ([1, 0], 0), ([2, 1], 1), ([1, None], None)])
def test_a_process_busy_for_a_moment_is_not_a_busy_neighbour(monkeypatch, readings, busy):
    """A reading that sees another process busy is confirmed by a second one a little later."""
    from sklearn_rnn import _nets

    left = iter(readings)
    monkeypatch.setattr(_nets, "_busy_now", lambda: next(left))
    monkeypatch.setattr(_nets, "_CONFIRM_AFTER", 0.0)
    assert _nets._busy_elsewhere() == busy
    assert next(left, "all read") == "all read"  # a quiet first reading is not taken again


@pytest.mark.skipif(not os.path.exists("/proc/loadavg"), reason="reads Linux's /proc")
def test_a_busy_neighbour_is_seen():
    from sklearn_rnn._nets import _busy_elsewhere

    quiet = _busy_elsewhere()
    assert isinstance(quiet, int) and quiet >= 0
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert _busy_elsewhere() >= 1
    finally:
        spinner.kill()
        spinner.wait()


class FakeLibc:
    """Records the allocator calls of keep_freed_memory instead of making them."""

    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


class RecordAllocatorCalls(Callback):
    def __init__(self, libc):
        self.libc, self.seen = libc, []

    def on_batch_begin(self, net, **kwargs):
        self.seen.append(len(self.libc.calls))


KEEP = [("mallopt", -4, 0), ("mallopt", -1, 2**31 - 1)]
AFTER = [("mallopt", -4, 65536), ("mallopt", -3, 32 * 2**20), ("mallopt", -1, 64 * 2**20)]


@pytest.mark.parametrize("opt_out", [False, True])
def test_a_fit_keeps_freed_memory_for_its_batches_and_gives_it_back_after(monkeypatch, opt_out):
    """Set once before the first batch, restored and trimmed once after the last; not in predict."""
    from sklearn_rnn import _nets

    libc = FakeLibc()
    monkeypatch.setattr(_nets, "_libc", libc)
    monkeypatch.setenv("SKLEARN_RNN_KEEP_MEMORY", "0" if opt_out else "1")
    X, y = _order_task(64)
    record = RecordAllocatorCalls(libc)
    clf = RNNClassifier(max_epochs=3, device="cpu", random_state=0, callbacks=[record])
    clf.fit(X, y)
    if opt_out:
        assert libc.calls == [] and set(record.seen) == {0}
        return
    assert set(record.seen) == {2}  # every batch of every epoch, validation included
    assert libc.calls == KEEP + AFTER + [("malloc_trim", 0)]
    clf.predict_proba(X)
    assert len(libc.calls) == 6


def test_kept_memory_is_reference_counted_across_nested_and_concurrent_fits(monkeypatch):
    from sklearn_rnn import _nets

    libc = FakeLibc()
    monkeypatch.setattr(_nets, "_libc", libc)
    monkeypatch.delenv("SKLEARN_RNN_KEEP_MEMORY", raising=False)
    with _nets.keep_freed_memory():
        with _nets.keep_freed_memory():
            assert libc.calls == KEEP
        assert libc.calls == KEEP  # the outer holder still fits
    assert libc.calls == KEEP + AFTER + [("malloc_trim", 0)]
    with pytest.raises(KeyError), _nets.keep_freed_memory():
        raise KeyError("a failed fit")
    assert libc.calls == 2 * (KEEP + AFTER + [("malloc_trim", 0)])  # restored all the same


@pytest.mark.skipif(not platform.libc_ver()[0] == "glibc", reason="glibc's mallopt")
def test_kept_memory_trains_the_same_model_with_the_real_allocator(monkeypatch):
    from sklearn_rnn import _nets

    assert _nets._glibc()
    monkeypatch.setenv("SKLEARN_RNN_FAIR_THREADS", "0")
    X, y = _order_task(64)
    params = dict(max_epochs=2, device="cpu", random_state=0)
    kept = RNNClassifier(**params).fit(X, y)
    monkeypatch.setenv("SKLEARN_RNN_KEEP_MEMORY", "0")
    returned = RNNClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(kept.predict_proba(X), returned.predict_proba(X))
    assert _nets._memory_holders == 0
