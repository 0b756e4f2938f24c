import pytest
import torch

from sklearn_rnn._nets import _flushing_denormals, flush_denormal, resolve_device, to_device


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
