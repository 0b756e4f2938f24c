"""A Keras-style summary of a fitted network: layers, output shapes, parameter counts."""

import torch

from .modules import LinearChainCRF, LinearNGrams, LinearTokenFeatures


def _output_shape(layer):
    if isinstance(layer, torch.nn.Embedding):
        return f"(None, None, {layer.embedding_dim})"
    if isinstance(layer, torch.nn.RNNBase):
        return f"(None, None, {layer.hidden_size})"
    if isinstance(layer, torch.nn.Linear):
        return f"(None, {layer.out_features})"
    if isinstance(layer, LinearNGrams):
        return f"(None, {layer.weight.shape[1]})"  # a vote per sequence
    if isinstance(layer, LinearTokenFeatures):
        return f"(None, None, {layer.weight.shape[1]})"  # label scores per step
    if isinstance(layer, LinearChainCRF):
        return "(None, None)"  # a label per step
    return "(same as input)"


def print_summary(title, module):
    """Print one row per leaf layer of ``module``, then the parameter totals."""
    rows = []
    for name, layer in module.named_modules():
        if name == "" or list(layer.children()) or isinstance(layer, torch.nn.ModuleList):
            continue
        if isinstance(layer, torch.nn.Identity):  # a hook point (adversarial_input), no layer
            continue
        n_params = sum(p.numel() for p in layer.parameters())
        rows.append((f"{name} ({type(layer).__name__})", _output_shape(layer), n_params))
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    width = max(len(r[0]) for r in rows) + 2
    line = "-" * (width + 34)
    print(f"Model: {title} ({type(module).__name__})")
    print(line)
    print(f"{'Layer (type)':{width}s}{'Output shape':22s}{'Param #':>12s}")
    print(line)
    for name, shape, n in rows:
        print(f"{name:{width}s}{shape:22s}{n:12,d}")
    print(line)
    print(
        f"Total params: {total:,}\nTrainable params: {trainable:,}\n"
        f"Non-trainable params: {total - trainable:,}"
    )
