"""Layer 4 plumbing shared by the recurrent estimators: input checks, datasets, the skorch net.

The estimators own a skorch net (``net_``) built in ``fit``; skorch is the
training engine (callbacks, device moves, early stopping, checkpointing).
This module holds what every estimator needs around it: turning X into
sequences, a Dataset and a collate function that pads each batch to its own
longest sequence (with :func:`pad_sequences`, the one padding function), and
the sample-weighted loss.
"""

import numbers
from collections.abc import Mapping
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar
from skorch.dataset import unpack_data
from skorch.helper import predefined_split
from skorch.utils import TeeGenerator

from ._sequences import (
    BOS_ID,
    EOS_ID,
    OOV_ID,
    TokenSequences,
    check_id_sequences,
    check_numeric_sequences,
    feature_width,
    is_numeric,
    materialize,
    pad_sequences,
    reject_unsupported,
)
from .modules import CELLS

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class SequenceDataset(torch.utils.data.Dataset):
    """Ragged sequences with targets and sample weights, one item at a time."""

    def __init__(self, sequences, targets=None, sample_weight=None):
        self._sequences = sequences
        self._targets = targets
        self._weights = sample_weight
        self.lengths = np.fromiter(
            (len(s) for s in sequences), dtype=np.int64, count=len(sequences)
        )

    def __len__(self):
        return len(self._sequences)

    def __getitem__(self, i):
        target = 0 if self._targets is None else self._targets[i]
        weight = 1.0 if self._weights is None else self._weights[i]
        return self._sequences[i], target, weight


class LengthBucketBatchSampler(torch.utils.data.Sampler):
    """Batches of sequences of similar length, in random order: little padding, same results.

    Each epoch shuffles the indices, cuts them into pools of
    ``batch_size * pool_batches`` sequences, sorts each pool by length, cuts
    it into batches and shuffles the order of all batches. A batch is padded
    only to its own longest sequence (see :func:`collate_sequences`), so on
    documents of very different lengths (IMDB: median 173 tokens, a long
    tail) most of the padded steps a random batch would compute disappear.
    Randomness comes from torch's global generator, so ``torch.manual_seed``
    (``random_state``) makes the batches reproducible.
    """

    def __init__(self, lengths, batch_size, *, shuffle=True, pool_batches=50):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.pool_batches = pool_batches

    def __len__(self):
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        n = len(self.lengths)
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            yield from (
                order[i : i + self.batch_size].tolist() for i in range(0, n, self.batch_size)
            )
            return
        rng = np.random.default_rng(int(torch.randint(2**31 - 1, ())))
        perm = rng.permutation(n)
        pool = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, n, pool):
            chunk = perm[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            )
        for j in rng.permutation(len(batches)):
            yield batches[j].tolist()


def bucketed_loader(dataset, *, batch_size, shuffle=False, bucket_by_length=True, **kwargs):
    """skorch's training iterator: a DataLoader over length-bucketed batches.

    With ``bucket_by_length=False`` (or a dataset without ``lengths``) it is
    the plain ``DataLoader``, random batches as in any PyTorch loop.
    """
    if not bucket_by_length or not hasattr(dataset, "lengths"):
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=shuffle, **kwargs
        )
    sampler = LengthBucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle)
    return torch.utils.data.DataLoader(dataset, batch_sampler=sampler, **kwargs)


def by_length(seqs, *, enabled=True):
    """The order that sorts sequences by length (stable), and the order that undoes it."""
    if not enabled:
        identity = np.arange(len(seqs))
        return identity, identity
    order = np.argsort([len(s) for s in seqs], kind="stable")
    return order, np.argsort(order, kind="stable")


def collate_pairs(batch):
    """Pad a batch of (source, target) id pairs for teacher-forced training.

    The decoder reads ``target_in`` (begin marker, then the target) and learns
    to predict ``target_out`` (the target, then the end marker); padding (0)
    is ignored by the loss.
    """
    sources, targets, _ = zip(*batch)
    target_in = [np.concatenate([[BOS_ID], t]) for t in targets]
    target_out = [np.concatenate([t, [EOS_ID]]) for t in targets]
    X = {
        "source": torch.from_numpy(pad_sequences(sources, padding="post", dtype=np.int64)),
        "source_lengths": torch.tensor([len(s) for s in sources], dtype=torch.int64),
        "target_in": torch.from_numpy(pad_sequences(target_in, padding="post", dtype=np.int64)),
    }
    return X, torch.from_numpy(pad_sequences(target_out, padding="post", dtype=np.int64))


def collate_sequences(batch, *, numeric):
    """Pad a batch at the end to its own longest sequence; lengths travel in X."""
    sequences, targets, weights = zip(*batch)
    x = pad_sequences(sequences, padding="post", dtype=np.float32 if numeric else np.int64)
    X = {
        "x": torch.from_numpy(x),
        "lengths": torch.tensor([len(s) for s in sequences], dtype=torch.int64),
        "sample_weight": torch.tensor(weights, dtype=torch.float32),
    }
    return X, torch.as_tensor(np.asarray(targets))


class WeightedLossMixin:
    """skorch's loss, weighted per sample (the criterion is built with reduction='none')."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses = super().get_loss(y_pred, y_true, X=X, training=training)
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


#: The ``mixed_precision`` options and the dtype autocast computes in.
MIXED_PRECISION = {"no": None, "bf16": torch.bfloat16, "fp16": torch.float16}


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


class DevicePathMixin:
    """The accelerator path of a skorch net: mixed precision and non-blocking copies.

    ``mixed_precision`` (a net parameter): ``'no'``; ``'bf16'``, the forward
    pass and loss under ``torch.autocast`` in bfloat16 (same exponent range as
    float32, so no loss scaling); or ``'fp16'``, autocast in float16 with a
    ``torch.amp.GradScaler``: the loss is scaled before ``backward``, the
    gradients unscaled before the ``on_grad_computed`` callbacks (so gradient
    clipping sees their true norm), and a step whose gradients overflowed is
    skipped. Outputs leave the net as float32.

    On CUDA, batches (from pinned memory, see ``BaseRNN._net_kwargs``) are
    copied with ``non_blocking=True``, so the copy of a batch overlaps the
    work queued before it. On the CPU, training and validation epochs run with
    subnormal floats flushed to zero (:func:`flush_denormal`).
    """

    def __init__(self, *args, mixed_precision="no", **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision

    @property
    def _device_type(self):
        return torch.device(self.device).type

    def autocast(self):
        """The autocast context of ``mixed_precision`` (a no-op for 'no')."""
        dtype = MIXED_PRECISION[self.mixed_precision]
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
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.grad_scaler_.scale(loss).backward()  # the loss itself when not scaling
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        if not self.grad_scaler_.is_enabled():
            return super().train_step(batch, **fit_params)
        # skorch steps through an optimizer closure, which GradScaler.step does
        # not take: the same sequence, spelled out with the scaler.
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        self.grad_scaler_.unscale_(self.optimizer_)
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
        )
        self.grad_scaler_.step(self.optimizer_)
        self.grad_scaler_.update()
        return step

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if self._device_type != "cpu":
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        with flush_denormal():
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def evaluation_step(self, batch, training=False):
        with self.autocast():
            y_pred = super().evaluation_step(batch, training=training)
        if torch.is_tensor(y_pred) and y_pred.is_floating_point():
            y_pred = y_pred.float()
        return y_pred


class WeightedNeuralNetClassifier(DevicePathMixin, WeightedLossMixin, NeuralNetClassifier):
    pass


class WeightedNeuralNetRegressor(DevicePathMixin, WeightedLossMixin, NeuralNetRegressor):
    pass


class RepresentationMixin(TransformerMixin):
    """``transform`` gives the learned fixed-length representation of each sequence."""

    def transform(self, X):
        """The learned fixed-length representation of each sequence (what the output layer reads).

        Returns
        -------
        Xt : ndarray of shape (n_samples, hidden_size * (2 if bidirectional else 1))
        """
        return self._encode(X)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the learned representation of X."""
        return self.fit(X, y, **fit_params).transform(X)


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


class BaseRNN(BaseEstimator):
    """Parameters, input handling and the skorch net shared by the recurrent estimators."""

    _parameter_constraints = {
        "cell": [StrOptions(set(CELLS))],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_embeddings": [Interval(numbers.Integral, OOV_ID + 1, None, closed="left"), None],
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "embedding_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"last", "max", "mean"})],
        "freeze_embedding": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "gradient_clip_value": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "bucket_by_length": ["boolean"],
        "device": [str],
        "mixed_precision": [StrOptions(set(MIXED_PRECISION))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    # -- input ---------------------------------------------------------------

    def _sequences(self, X, *, fitting, training=False):
        """X as a list of arrays (ids 1-D int64, numeric 2-D float32) and the embedding matrix.

        ``fitting``: the first fit, which sizes the embedding. Otherwise ids
        beyond the embedding are read as out-of-vocabulary at prediction time,
        and are an error when ``training`` (partial_fit cannot add rows).
        """
        weights = None
        if isinstance(X, TokenSequences):
            X, weights = X.ids, X.embedding_matrix
        X = materialize(X)
        reject_unsupported(X)
        if isinstance(X, str):
            raise TypeError(
                "Expected a batch of sequences, got a single string; turn raw text into "
                "ids with TextTokenizer (e.g. make_pipeline(TextTokenizer(), RNNClassifier()))."
            )
        numeric = is_numeric(X)
        if numeric:
            seqs = [s.reshape(len(s), -1) for s in check_numeric_sequences(X)]
        else:
            first = next(iter(X), None)
            if isinstance(first, (str, bytes)):
                raise TypeError(
                    "Got raw text; RNN estimators take token-id or numeric sequences. "
                    "Put a TextTokenizer before the estimator in a Pipeline."
                )
            seqs = list(check_id_sequences(X))
        empty = [i for i, s in enumerate(seqs) if len(s) == 0]
        if empty:
            raise ValueError(
                f"{len(empty)} sequence(s) are empty (first at index {empty[0]}); a recurrent "
                "model needs at least one step per sequence. Drop those samples, or keep "
                "empty documents as out-of-vocabulary with e.g. a placeholder text."
            )
        if fitting:
            self.input_kind_ = "numeric" if numeric else "ids"
            if numeric:
                self.n_features_in_ = feature_width(seqs)
                self.num_embeddings_ = None
            else:
                max_id = max(int(s.max()) for s in seqs)
                requested = getattr(self, "num_embeddings", None)
                if weights is not None:
                    if requested is not None and requested != weights.shape[0]:
                        raise ValueError(
                            f"num_embeddings={requested} but the pretrained embedding "
                            f"matrix has {weights.shape[0]} rows; leave num_embeddings=None."
                        )
                    self.num_embeddings_ = weights.shape[0]
                elif requested is not None:
                    self.num_embeddings_ = requested
                else:
                    self.num_embeddings_ = max(max_id + 1, OOV_ID + 1)
                if max_id >= self.num_embeddings_:
                    raise ValueError(
                        f"Token id {max_id} is outside the embedding matrix of "
                        f"{self.num_embeddings_} rows"
                        + (" (num_embeddings)." if requested is not None else ".")
                    )
            return seqs, weights
        kind = "numeric" if numeric else "ids"
        if kind != self.input_kind_:
            raise TypeError(f"The model was fitted on {self.input_kind_} input; got {kind}.")
        if numeric:
            for i, s in enumerate(seqs):
                if s.shape[1] != self.n_features_in_:
                    raise ValueError(
                        f"Sequence {i} has {s.shape[1]} features per step; the model was "
                        f"fitted on {self.n_features_in_}."
                    )
        else:
            if training:
                i = next((i for i, s in enumerate(seqs) if s.max() >= self.num_embeddings_), None)
                if i is not None:
                    raise ValueError(
                        f"Sequence {i} holds id {int(seqs[i].max())}, beyond the model's "
                        f"{self.num_embeddings_} embedding rows; further training cannot add "
                        "rows. Set num_embeddings to the size of the id space before the "
                        "first fit (e.g. HashingOneHot's n_features, or the tokenizer's "
                        "vocabulary size + 4) when later batches hold new ids."
                    )
            # Ids the model never saw in training have no trained embedding row:
            # they are read as out-of-vocabulary (documented).
            seqs = [np.where(s < self.num_embeddings_, s, OOV_ID) for s in seqs]
        return seqs, weights

    # -- the skorch net -----------------------------------------------------

    def _encoder_params(self, embedding_weights):
        return dict(
            num_embeddings=self.num_embeddings_,
            embedding_dim=self.embedding_dim,
            input_size=getattr(self, "n_features_in_", None)
            if self.num_embeddings_ is None
            else None,
            embedding_weights=(
                None
                if embedding_weights is None
                # A copy: training must never write into the transformer's matrix.
                else torch.tensor(np.asarray(embedding_weights))
            ),
            freeze_embedding=self.freeze_embedding,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            embedding_dropout=self.embedding_dropout,
            pooling=getattr(self, "pooling", "last"),
        )

    def _collate(self):
        """The function that pads a list of dataset items into one batch."""
        return partial(collate_sequences, numeric=self.input_kind_ == "numeric")

    def _module_params(self, embedding_weights):
        """Keyword arguments of the network (the many-to-one head's by default)."""
        return {**self._encoder_params(embedding_weights), "output_dropout": self.dropout}

    def _training_callbacks(self):
        """skorch callbacks a model needs besides the shared ones (none by default)."""
        return []

    def _net_kwargs(self, valid_dataset):
        collate = self._collate()
        callbacks = []
        if valid_dataset is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True),
                )
            )
        if self.gradient_clip_value is not None:
            callbacks.append(
                (
                    "gradient_clipping",
                    GradientNormClipping(gradient_clip_value=self.gradient_clip_value),
                )
            )
        if self.verbose and self.verbose > 1:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks.extend(self._training_callbacks())
        callbacks.extend(self.callbacks or [])
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        device = resolve_device(self.device, self.mixed_precision)
        # Page-locked batches let the copy to the GPU run without blocking.
        pin_memory = torch.device(device).type == "cuda"
        return dict(
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=bucketed_loader,
            iterator_train__shuffle=True,
            iterator_train__bucket_by_length=self.bucket_by_length,
            iterator_train__collate_fn=collate,
            iterator_train__pin_memory=pin_memory,
            iterator_valid__collate_fn=collate,
            iterator_valid__pin_memory=pin_memory,
            train_split=None if valid_dataset is None else predefined_split(valid_dataset),
            callbacks=callbacks,
            device=device,
            mixed_precision=self.mixed_precision,
            verbose=int(bool(self.verbose)),
        )

    def _fit_net(
        self,
        seqs,
        weights,
        targets,
        sample_weight,
        *,
        net_class,
        module,
        module_params,
        criterion,
        criterion_params,
        net_params,
        stratify=None,
    ):
        """Split the early-stopping data from this fit's own data, build ``net_`` and train it."""
        seed = self._seed()
        train_idx = np.arange(len(seqs))
        valid_dataset = None
        if self.early_stopping:
            try:
                train_idx, valid_idx = train_test_split(
                    train_idx,
                    test_size=self.validation_fraction,
                    stratify=stratify,
                    random_state=seed,
                )
            except ValueError:  # too few samples of a class to stratify
                train_idx, valid_idx = train_test_split(
                    train_idx, test_size=self.validation_fraction, random_state=seed
                )
            # In length order: validation batches waste no steps on padding either.
            valid_idx = valid_idx[np.argsort([len(seqs[i]) for i in valid_idx], kind="stable")]
            valid_dataset = SequenceDataset(
                [seqs[i] for i in valid_idx], targets[valid_idx], sample_weight[valid_idx]
            )
        train_dataset = SequenceDataset(
            [seqs[i] for i in train_idx], targets[train_idx], sample_weight[train_idx]
        )
        params = {f"module__{k}": v for k, v in self._module_params(weights).items()}
        params.update({f"module__{k}": v for k, v in module_params.items()})
        params.update({f"criterion__{k}": v for k, v in criterion_params.items()})
        self.net_ = net_class(
            module=module,
            criterion=criterion,
            criterion__reduction="none",
            **params,
            **net_params,
            **self._net_kwargs(valid_dataset),
        )
        self.net_.fit(train_dataset, y=None)
        # The validation data is not part of the model: do not pickle it.
        self.net_.train_split = None
        return self

    def _seed(self):
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        torch.manual_seed(seed)
        return seed

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    @property
    def history_(self):
        """skorch's training history: one entry per epoch (losses, scores, durations)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def _encode(self, X):
        """The learned fixed-length representation of each sequence (no gradients)."""
        check_is_fitted(self, "net_")
        seqs, _ = self._sequences(X, fitting=False)
        order, restore = by_length(seqs, enabled=self.bucket_by_length)
        net = self.net_
        loader = torch.utils.data.DataLoader(
            SequenceDataset([seqs[i] for i in order]),
            batch_size=self.batch_size,
            collate_fn=partial(collate_sequences, numeric=self.input_kind_ == "numeric"),
            pin_memory=net._device_type == "cuda",
        )
        module = net.module_
        module.eval()
        out = []
        with torch.no_grad(), net.autocast():
            for batch, _ in loader:
                batch = net.move(batch)
                rep = module.encoder(batch["x"], batch["lengths"])
                out.append(rep.float().cpu().numpy())
        return np.concatenate(out)[restore]

    def _predict_net(self, seqs, method):
        """``net_.predict_proba``/``predict`` over length-sorted batches, in the input order."""
        order, restore = by_length(seqs, enabled=self.bucket_by_length)
        out = getattr(self.net_, method)(SequenceDataset([seqs[i] for i in order]))
        return out[restore]

    def summary(self):
        """Print the layers, their output shapes and parameter counts, like Keras' summary()."""
        check_is_fitted(self, "net_")
        module = self.net_.module_
        rows = []
        for name, layer in module.named_modules():
            if name == "" or list(layer.children()) or isinstance(layer, torch.nn.ModuleList):
                continue
            shape = _output_shape(layer)
            n_params = sum(p.numel() for p in layer.parameters())
            rows.append((f"{name} ({type(layer).__name__})", shape, n_params))
        total = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        width = max(len(r[0]) for r in rows) + 2
        line = "-" * (width + 34)
        print(f"Model: {type(self).__name__} ({type(module).__name__})")
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


def _output_shape(layer):
    if isinstance(layer, torch.nn.Embedding):
        return f"(None, None, {layer.embedding_dim})"
    if isinstance(layer, torch.nn.RNNBase):
        return f"(None, None, {layer.hidden_size})"
    if isinstance(layer, torch.nn.Linear):
        return f"(None, {layer.out_features})"
    return "(same as input)"
