"""Export a fitted network for serving: ONNX (``torch.onnx.export``), run by ONNX Runtime.

:func:`export_onnx` writes the network of a fitted :class:`RNNClassifier`,
:class:`LSTMRegressor` or :class:`RNNTagger` (or the last step of a Pipeline
ending in one) as an ONNX graph with a dynamic batch size and sequence
length. The graph takes what the estimator's ``predict`` reads after the
text steps of its Pipeline, padded at the end:

- ``ids`` (int64, batch x steps, 0 after each sequence's end) and
  ``lengths`` (int64, batch) for token-id input; ids the model never saw are
  read as out-of-vocabulary, as ``predict`` reads them;
- ``x`` (float32, batch x steps x features) and ``lengths`` for numeric input;
- for a tagger of words with character, affix, casing or linear features, also
  ``chars`` (int64, batch x steps x features): each word's feature ids, as
  the tagger encodes them.

It returns ``probabilities`` (a classifier: ``predict_proba``'s columns,
per-label sigmoids for multi-label; a tagger: batch x steps x labels, of
which the first ``lengths[i]`` steps of row ``i`` are ``predict_proba``'s
array for sequence ``i``) or ``predictions`` (a regressor, in the targets'
units: ``predict``'s values, shape batch x n_outputs). The fitted tokenizer,
and the tagger's vocabularies, stay in Python (text processing, not a
network): :func:`serving_inputs` turns text into the graph's inputs.

Needs ``pip install onnx`` to export and ``onnxruntime`` to run (the
``export`` extra: ``pip install "sklearn-rnn[export]"``).
"""

import copy
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._batching import collate_tagged
from ._sequences import OOV_ID, sequence_lengths
from .classifier import RNNClassifier
from .regressor import LSTMRegressor
from .tagger import RNNTagger

__all__ = ["export_onnx", "serving_inputs"]


class _Serving(nn.Module):
    """The fitted module with the estimator's own pre- and post-processing around it."""

    def __init__(self, module, num_embeddings, kind, mean=None, scale=None):
        super().__init__()
        self.module = module
        self.num_embeddings = num_embeddings
        self.kind = kind
        if mean is not None:
            self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
            self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, x, lengths, chars=None):
        if self.num_embeddings is not None:  # as predict: unseen ids are out-of-vocabulary
            x = torch.where(x >= self.num_embeddings, torch.full_like(x, OOV_ID), x)
        if self.kind == "tags":
            return self.module(x, lengths, chars).softmax(dim=-1)
        out = self.module(x, lengths)
        if self.kind == "softmax":
            return out.softmax(dim=-1)
        if self.kind == "sigmoid":
            return out.sigmoid()
        return out[:, : self.mean.shape[0]] * self.scale + self.mean


def _final_estimator(model):
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(estimator, (RNNClassifier, LSTMRegressor, RNNTagger)):
        raise TypeError(
            "export_onnx exports an RNNClassifier, an LSTMRegressor or an RNNTagger (or a "
            f"Pipeline ending in one); got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, "net_")
    return estimator


def export_onnx(model, path):
    """Write the fitted network of ``model`` to ``path`` as ONNX; return the path.

    Parameters
    ----------
    model : RNNClassifier, LSTMRegressor, RNNTagger, or a Pipeline ending in one
        Fitted. Of a Pipeline only the last step is exported; run the steps
        before it in Python (:func:`serving_inputs`).
    path : str or path-like
        The ``.onnx`` file to write.

    Returns
    -------
    path : str

    Examples
    --------
    >>> import numpy as np, onnxruntime
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn.export import export_onnx, serving_inputs
    >>> X = np.array([[4, 5, 6], [7, 8, 0], [4, 4, 0], [8, 7, 5]] * 8)
    >>> model = RNNClassifier(max_epochs=2, random_state=0).fit(X, [0, 1, 0, 1] * 8)
    >>> path = export_onnx(model, getfixture("tmp_path") / "model.onnx")
    >>> session = onnxruntime.InferenceSession(path)
    >>> (probabilities,) = session.run(None, serving_inputs(model, X[:4]))
    >>> bool(np.allclose(probabilities, model.predict_proba(X[:4]), atol=1e-5))
    True
    """
    estimator = _final_estimator(model)
    if getattr(estimator.net_.module_, "crf", None) is not None:
        raise ValueError(
            "export_onnx exports per-step label probabilities; this tagger has a CRF "
            "output layer, whose Viterbi decoding and marginals loop over the steps in "
            "Python. Fit it with crf=False to export it."
        )
    # A copy on the CPU in eval mode: the graph traces with CPU example inputs
    # whatever device the model trained on, and the fitted model is left as it is.
    module = copy.deepcopy(estimator.net_.module_).cpu().eval()
    numeric = estimator.num_embeddings_ is None
    if isinstance(estimator, RNNTagger):
        serving = _Serving(module, estimator.num_embeddings_, "tags")
        output = "probabilities"
    elif isinstance(estimator, RNNClassifier):
        kind = "sigmoid" if estimator._multilabel else "softmax"
        serving = _Serving(module, estimator.num_embeddings_, kind)
        output = "probabilities"
    else:
        scaler = estimator.target_encoder_.scaler_
        serving = _Serving(module, None, "values", scaler.mean_, scaler.scale_)
        output = "predictions"
    if numeric:
        example = torch.zeros((3, 17, estimator.n_features_in_), dtype=torch.float32)
    else:
        example = torch.full((3, 17), OOV_ID + 3, dtype=torch.int64)
    lengths = torch.tensor([17, 16, 15], dtype=torch.int64)
    first = "x" if numeric else "ids"
    inputs, names = (example, lengths), [first, "lengths"]
    dynamic_axes = {first: {0: "batch", 1: "steps"}, "lengths": {0: "batch"}, output: {0: "batch"}}
    if isinstance(estimator, RNNTagger):
        dynamic_axes[output][1] = "steps"
        # Each word's linear-path ids, its affix and shape ids, its casing
        # class, then its characters, 0 padded (an ensemble's members all
        # read the same).
        first_net = module.members[0] if hasattr(module, "members") else module
        n_features = getattr(first_net, "linear_columns", 0)
        n_features += getattr(first_net, "affix_features", 0)
        n_features += getattr(first_net, "casing", None) is not None
        if getattr(first_net, "chars", None) is not None or n_features:
            chars = torch.full((3, 17, n_features + 6), OOV_ID + 3, dtype=torch.int64)
            inputs, names = (*inputs, chars), [*names, "chars"]
            dynamic_axes["chars"] = {0: "batch", 1: "steps", 2: "characters"}
    with warnings.catch_warnings():
        # The tracer notes the encoder's branch for a batch of empty sequences
        # (serving_inputs never sends one) and torch's notice about the exporter.
        warnings.simplefilter("ignore")
        # The TorchScript exporter: it writes the recurrent layers as ONNX's
        # LSTM/GRU/RNN operators, whose number of steps is dynamic; torch.export
        # unrolls them to the example's length.
        torch.onnx.export(
            serving,
            inputs,
            str(path),
            input_names=names,
            output_names=[output],
            dynamic_axes=dynamic_axes,
            dynamo=False,
        )
    return str(path)


def serving_inputs(model, X):
    """The exported graph's inputs for sequences X: padded at the end, with their lengths.

    Parameters
    ----------
    model : the exported estimator or its Pipeline
        A Pipeline's steps before the network turn X (e.g. raw texts) into
        token ids first.
    X : sequences
        What ``model.predict`` takes.

    Returns
    -------
    inputs : dict
        ``{'ids' or 'x': array, 'lengths': int64 array}`` (and ``'chars'``
        for a tagger of words with character features) for
        ``onnxruntime.InferenceSession.run(None, inputs)``.
    """
    estimator = _final_estimator(model)
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        X = model[:-1].transform(X)
    seqs, _ = estimator._validate_data(X, reset=False)
    if isinstance(estimator, RNNTagger):
        numeric = estimator.input_kind_ == "numeric"
        batch, _ = collate_tagged([(s, None, 1.0) for s in seqs], numeric=numeric)
        if batch["x"].shape[1] == 0:  # only empty sequences: one padding step to run on
            batch = {
                k: torch.zeros((len(v), 1, *v.shape[2:]), dtype=v.dtype) if v.dim() > 1 else v
                for k, v in batch.items()
            }
        inputs = {
            "x" if numeric else "ids": batch["x"].numpy(),
            "lengths": batch["lengths"].numpy(),
        }
        if "chars" in batch:
            inputs["chars"] = batch["chars"].numpy()
        return inputs
    lengths = sequence_lengths(seqs)
    width = max(1, int(lengths.max()))
    if estimator.num_embeddings_ is None:
        out = np.zeros((len(seqs), width, estimator.n_features_in_), dtype=np.float32)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return {"x": out, "lengths": lengths}
    out = np.zeros((len(seqs), width), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return {"ids": out, "lengths": lengths}
