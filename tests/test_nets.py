import pytest
import torch
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, _nets
from sklearn_rnn._nets import (
    _flushing_denormals,
    flush_denormal,
    optimizer_params,
    resolve_device,
    to_device,
)


def test_flush_denormal_flushes_inside_and_restores_after():
    torch.set_flush_denormal(False)
    with flush_denormal():
        assert _flushing_denormals()
    assert not _flushing_denormals()


def test_auto_device_is_the_gpu_when_there_is_one_else_the_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected


@pytest.mark.parametrize(
    "device, precision, match",
    [
        ("potato", "no", "is not a torch device"),
        ("cpu", "fp16", "mixed_precision='fp16' needs a CUDA device"),
    ],
)
def test_devices_torch_cannot_use_are_named(device, precision, match):
    with pytest.raises(ValueError, match=match):
        resolve_device(device, precision)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_named():
    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        resolve_device("cuda")


def test_to_device_moves_tensors_in_dicts_and_tuples_only():
    batch = ({"x": torch.ones(2), "n": 3}, torch.zeros(1))
    moved = to_device(batch, "cpu")
    assert moved[0]["n"] == 3 and moved[0]["x"].device.type == "cpu"
    assert torch.equal(moved[1], batch[1])


@pytest.mark.parametrize(
    "optimizer, device, expected",
    [
        ("adam", "cpu", {"optimizer__fused": True}),
        ("adamw", "cpu", {"optimizer__fused": True}),
        ("sgd", "cpu", {"optimizer__fused": True}),
        ("rmsprop", "cpu", {}),  # torch has no fused RMSprop
        ("adam", "cuda", {}),  # other devices keep torch's default
        (torch.optim.Adam, "cpu", {}),  # a user's class is left as given
    ],
)
def test_named_optimizers_run_fused_on_the_cpu(optimizer, device, expected):
    assert optimizer_params(optimizer, device) == expected


def test_the_environment_can_keep_torchs_default_optimizer(monkeypatch):
    monkeypatch.setenv("SKLEARN_RNN_FUSED_OPTIMIZER", "0")
    assert optimizer_params("adam", "cpu") == {}


def test_a_torch_without_the_fused_cpu_kernel_keeps_its_default(monkeypatch):
    class _NoFusedKernel(torch.optim.Adam):  # torch < 2.4: fused only on CUDA
        def __init__(self, params, fused=None, **kwargs):
            if fused:
                raise RuntimeError("`fused=True` requires all the params to be on CUDA")
            super().__init__(params, **kwargs)

    monkeypatch.setitem(_nets.OPTIMIZERS, "old-adam", _NoFusedKernel)
    assert not _nets._fuses_on_cpu.__wrapped__("old-adam")
    assert _nets._fuses_on_cpu.__wrapped__("adam")


class _StartingWeights(Callback):
    """Keeps a copy of the module's weights as training begins."""

    def on_train_begin(self, net, **kwargs):
        self.weights = {k: v.clone() for k, v in net.module_.state_dict().items()}


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_the_fused_optimizer_trains_to_the_same_weights_within_rounding(optimizer, monkeypatch):
    X = [[4, 5, 6, 7], [8, 9], [4, 9, 10, 11, 5], [12, 6]] * 8
    y = [1, 0, 1, 0] * 8

    def fit(fuse):
        monkeypatch.setenv("SKLEARN_RNN_FUSED_OPTIMIZER", "1" if fuse else "0")
        start = _StartingWeights()
        clf = RNNClassifier(
            optimizer=optimizer,
            lr=0.05,
            ensemble_size=1,
            max_epochs=3,
            batch_size=8,
            early_stopping=False,
            device="cpu",  # the fused kernels are the CPU's path
            random_state=0,
            callbacks=[start],
        ).fit(X, y)
        return clf, clf.net_.module_.state_dict(), start.weights

    fused, fused_weights, start = fit(True)
    plain, plain_weights, _ = fit(False)
    assert fused.net_.optimizer_.defaults["fused"] is True
    assert not plain.net_.optimizer_.defaults.get("fused")
    for name, weight in fused_weights.items():
        torch.testing.assert_close(weight, plain_weights[name], rtol=1e-5, atol=1e-5)
    # Twelve steps moved the weights far beyond that tolerance.
    assert max(float((w - start[k]).abs().max()) for k, w in fused_weights.items()) > 0.01
