"""Layer 4: the estimator template: input validation, ``fit``/``partial_fit`` and inference, once.

A recurrent estimator declares its network (``_module``), its loss
(``_criterion``), its skorch net class (``_net_class``) and its target
encoding (``_target_encoder``, from :mod:`._targets`: labels to class
indices, targets to standardised values, target texts to ids), plus the
keyword arguments of its module (``_module_params``). Everything else is here:

- ``_validate_data(X, reset=...)``: the one input step (scikit-learn's
  ``validate_data`` shape): what kind of input X is, its checks, and, when
  ``reset``, what the first fit learns from it (input kind, feature width,
  embedding size);
- ``_fit(X, y, sample_weight, warm_start=...)``: ``fit`` and ``partial_fit``
  (SciKeras' shape): validate, encode the targets, split the early-stopping
  data from this fit's own data, build the skorch net ``net_`` and train it,
  or train the existing one further;
- ``_forward(seqs, method)``: the one inference path, through skorch's
  iterator in length order, results in the input order.

:class:`ManyToOneRNN` adds what a model reading one vector per sequence
needs: pooling and ``transform``.
"""

import numbers
import warnings
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, _num_samples, check_is_fitted
from skorch.callbacks import GradientNormClipping, ProgressBar
from skorch.helper import predefined_split

from ._batching import (
    SequenceDataset,
    bucketed_loader,
    by_length,
    collate_sequences,
    inference_loader,
)
from ._nets import (
    OPTIMIZERS,
    PRECISION_OPTIONS,
    optimizer_params,
    resolve_device,
    resolve_precision,
)
from ._sequences import (
    OOV_ID,
    TokenSequences,
    check_id_sequences,
    check_numeric_sequences,
    feature_width,
    input_kind,
    materialize,
    reject_unsupported,
    sequence_lengths,
)
from ._summary import print_summary
from .callbacks import WeightAveraging, _EarlyStopping, _recording_interrupts
from .modules import CELLS, EnsembleModule, ManyToOneModule


class BaseRNN(BaseEstimator):
    """Parameters, input handling, training and inference shared by the recurrent estimators."""

    #: Declared by each estimator: the network, the loss and the skorch net class.
    _module = None
    _criterion = None
    _net_class = None
    #: Whether the early-stopping split is stratified by the (encoded) targets.
    _stratify = False
    #: Whether the network reads numeric sequences (else token ids only).
    _numeric_input = True
    #: What one target is called in error messages.
    _target_noun = "targets"
    #: Whether a sequence of no steps is valid input (else an error).
    _reads_empty_sequences = False

    _parameter_constraints = {
        "cell": [StrOptions(set(CELLS))],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "embedding_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "freeze_embedding": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "gradient_clip_value": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "ema_decay": [Interval(numbers.Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "bucket_by_length": ["boolean"],
        "device": [str],
        "mixed_precision": [StrOptions(set(PRECISION_OPTIONS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    # -- what an estimator declares ------------------------------------------

    def _target_encoder(self):
        """The unfitted target encoder (a transformer from :mod:`._targets`)."""
        raise NotImplementedError

    def _module_params(self, embedding):
        """Keyword arguments of ``_module`` (``embedding``: a pretrained matrix or None)."""
        raise NotImplementedError

    def _fitted_module_params(self, train):
        """Module keyword arguments learned from the training data (a ``SequenceDataset``)."""
        return {}

    def _net_params(self):
        """Further skorch net parameters (e.g. ``criterion__weight``); none by default."""
        return {}

    def _stopping_metric(self):
        """What early stopping watches: a history key, whether lower is better,
        and the skorch callback that records it (None for the validation loss)."""
        return "valid_loss", True, None

    def _training_callbacks(self):
        """skorch callbacks the model needs besides the shared ones; none by default."""
        return []

    def _collate(self):
        """The function that pads a list of dataset items into one batch."""
        return partial(collate_sequences, numeric=self.input_kind_ == "numeric")

    def _text_to_ids(self, X, *, reset):
        """Raw text as token ids; models without a tokenizer of their own refuse it."""
        raise TypeError(
            "Got raw text; RNN estimators take token-id or numeric sequences. "
            "Put a TextTokenizer before the estimator in a Pipeline."
        )

    # -- input -----------------------------------------------------------------

    def _validate_data(self, X, *, reset, training=False):
        """X as a list of arrays (ids 1-D int64, numeric 2-D float32) and the embedding matrix.

        ``reset`` (the first fit) learns the input kind, the feature width and
        the embedding size. Otherwise X is checked against them; ids beyond the
        embedding are read as out-of-vocabulary at prediction time, and are an
        error when ``training`` further (partial_fit cannot add rows).
        """
        if not reset:
            check_is_fitted(self, "net_")
        embedding = None
        if isinstance(X, TokenSequences):
            X, embedding = X.ids, X.embedding_matrix
        X = materialize(X)
        reject_unsupported(X)
        if isinstance(X, str):
            raise TypeError(
                "Expected a batch of sequences, got a single string; turn raw text into "
                "ids with TextTokenizer (e.g. make_pipeline(TextTokenizer(), RNNClassifier()))."
            )
        kind = input_kind(X)
        fitted_kind = kind if reset else self.input_kind_
        if "text" in (kind, fitted_kind):
            X, kind = self._text_to_ids(X, reset=reset), "ids"
        elif kind != fitted_kind:
            raise TypeError(f"The model was fitted on {fitted_kind} input; got {kind}.")
        elif kind == "numeric" and not self._numeric_input:
            raise TypeError(
                f"{type(self).__name__} reads token ids or text; got numeric sequences."
            )
        if kind == "numeric":
            seqs = [s[:, None] if s.ndim == 1 else s for s in check_numeric_sequences(X)]
        else:
            seqs = list(check_id_sequences(X))
        empty = np.flatnonzero(sequence_lengths(seqs) == 0)
        if len(empty) and not self._reads_empty_sequences:
            raise ValueError(
                f"{len(empty)} sequence(s) are empty (first at index {empty[0]}); a recurrent "
                "model needs at least one step per sequence. Drop those samples, or keep "
                "empty documents as out-of-vocabulary with e.g. a placeholder text."
            )
        if reset:
            self.input_kind_ = fitted_kind
            self._learn_input_sizes(seqs, kind, embedding)
        elif kind == "numeric":
            for i, s in enumerate(seqs):
                if s.shape[1] != self.n_features_in_:
                    raise ValueError(
                        f"Sequence {i} has {s.shape[1]} features per step; the model was "
                        f"fitted on {self.n_features_in_}."
                    )
        else:
            if training and hasattr(self, "num_embeddings"):
                too_big = (len(s) and s.max() >= self.num_embeddings_ for s in seqs)
                i = next((i for i, big in enumerate(too_big) if big), None)
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
        return seqs, embedding

    def _learn_input_sizes(self, seqs, kind, embedding):
        """``n_features_in_`` (numeric input) or ``num_embeddings_`` (ids) from the first fit."""
        if kind == "numeric":
            self.n_features_in_ = feature_width(seqs)
            self.num_embeddings_ = None
            return
        max_id = max((int(s.max()) for s in seqs if len(s)), default=OOV_ID)
        requested = getattr(self, "num_embeddings", None)
        if embedding is not None:
            if requested is not None and requested != embedding.shape[0]:
                raise ValueError(
                    f"num_embeddings={requested} but the pretrained embedding "
                    f"matrix has {embedding.shape[0]} rows; leave num_embeddings=None."
                )
            self.num_embeddings_ = embedding.shape[0]
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

    # -- training ----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, validation_mask=None):
        """Train on sequences X and targets y.

        Parameters
        ----------
        X : token-id or numeric sequences
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        validation_mask : array-like of bool, shape (n_samples,), default=None
            A fixed validation set for early stopping, instead of a random
            ``validation_fraction``: the samples marked True are never
            trained on and decide when to stop and which epoch's weights to
            keep. Aligned with X, so cross-validation slices it with the data
            (each fold keeps its own validation samples); route it through a
            Pipeline or a search with scikit-learn's metadata routing
            (``set_fit_request(validation_mask=True)``), as ``sample_weight``.

        Returns
        -------
        self : object
        """
        return self._fit(
            X, y, sample_weight, warm_start=self.warm_start, validation_mask=validation_mask
        )

    def partial_fit(self, X, y, sample_weight=None):
        """Train ``max_epochs`` more epochs on X, y (no validation split); the first call fits."""
        return self._fit(X, y, sample_weight, warm_start=True)

    def _fit(self, X, y, sample_weight=None, *, warm_start, validation_mask=None):
        """Fit anew, or, with ``warm_start`` and a fitted net, train ``net_`` further on X, y."""
        reset = not (warm_start and hasattr(self, "net_"))
        if reset:
            self._validate_params()
        seqs, embedding = self._validate_data(X, reset=reset, training=True)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if _num_samples(y) != len(seqs):
            raise ValueError(
                f"X holds {len(seqs)} sequences but y holds {_num_samples(y)} {self._target_noun}."
            )
        # scikit-learn's messages: NaN, infinite and negative weights are errors.
        sample_weight = _check_sample_weight(
            sample_weight, seqs, dtype=np.float32, ensure_non_negative=True
        )
        if not sample_weight.any():  # scikit-learn before 1.8 lets all-zero weights through
            raise ValueError("sample_weight is zero for every sample: nothing to learn.")
        if reset:
            self.target_encoder_ = self._target_encoder()
            targets = self.target_encoder_.fit_transform(y, sample_weight=sample_weight)
        else:
            targets = self.target_encoder_.transform(y)
        dataset = SequenceDataset(seqs, targets, sample_weight)
        if validation_mask is not None:
            validation_mask = self._check_validation_mask(validation_mask, len(seqs), reset)
        if not reset:
            self.net_.max_epochs = self.max_epochs  # as set now: that many more epochs
            self._train(dataset, partial=True)
            return self
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        torch.manual_seed(seed)
        valid = None
        if self.early_stopping:
            train_idx, valid_idx = self._validation_split(targets, seed, validation_mask)
            # In length order: validation batches waste no steps on padding either.
            valid_idx = valid_idx[np.argsort(dataset.lengths[valid_idx], kind="stable")]
            dataset, valid = dataset.subset(train_idx), dataset.subset(valid_idx)
            valid = self._held_out(dataset, valid)
        self.net_ = self._build_net(embedding, dataset, valid)
        self._train(dataset, partial=False)
        # The validation data is not part of the model: do not pickle it.
        self.net_.train_split = None
        self._after_fit(valid)
        return self

    def _train(self, dataset, *, partial):
        """Train ``net_``; a Ctrl-C ends training (skorch keeps what it has) with a warning."""
        before = len(self.net_.history) if partial else 0
        with _recording_interrupts() as interrupted:
            (self.net_.partial_fit if partial else self.net_.fit)(dataset, y=None)
        if interrupted:
            trained = len(self.net_.history) - before
            warnings.warn(
                f"{type(self).__name__}.fit was interrupted (Ctrl-C) after {trained} of "
                f"{self.max_epochs} epochs; the model keeps "
                + ("the best validation epoch's weights" if self.early_stopping else "its weights")
                + " so far. Fit again with warm_start=True to train further.",
                UserWarning,
                stacklevel=3,
            )

    def _held_out(self, train, valid):
        """The early-stopping data as the model is to read it, once the split is known; as is."""
        return valid

    def _after_fit(self, valid):
        """What a model learns from its early-stopping data after training; nothing by default."""

    def _check_validation_mask(self, mask, n_samples, reset):
        if not (reset and self.early_stopping):
            raise ValueError(
                "validation_mask chooses the early-stopping data of a new fit; this fit has "
                + ("early_stopping=False." if reset else "none (warm start or partial_fit).")
            )
        mask = np.asarray(mask)
        if mask.shape != (n_samples,) or mask.dtype != bool:
            raise ValueError(
                f"validation_mask must be a boolean array of shape ({n_samples},), one flag "
                f"per sample; got dtype {mask.dtype} and shape {mask.shape}."
            )
        if mask.all() or not mask.any():
            raise ValueError(
                f"validation_mask marks {int(mask.sum())} of {n_samples} samples for "
                "validation; both the training and the validation part need samples."
            )
        return mask

    def _validation_split(self, targets, seed, validation_mask=None):
        indices = np.arange(len(targets))
        if validation_mask is not None:
            return indices[~validation_mask], indices[validation_mask]
        if getattr(self, "validation_split", "random") == "last":
            n_valid = max(1, int(round(self.validation_fraction * len(indices))))
            return indices[:-n_valid], indices[-n_valid:]
        stratify = targets if self._stratify else None
        try:
            return train_test_split(
                indices, test_size=self.validation_fraction, stratify=stratify, random_state=seed
            )
        except ValueError:  # too few samples of a class to stratify
            return train_test_split(indices, test_size=self.validation_fraction, random_state=seed)

    def _build_net(self, embedding, train, valid):
        callbacks = []
        if valid is not None:
            monitor, lower_is_better, scorer = self._stopping_metric()
            if scorer is not None:  # before early stopping, which reads its score
                callbacks.append((monitor, scorer))
            stopping = _EarlyStopping(
                monitor=monitor,
                lower_is_better=lower_is_better,
                patience=self.patience,
                load_best=True,
            )
            callbacks.append(("early_stopping", stopping))
        if self.ema_decay:
            # After early stopping: its on_train_end loads the best average first.
            callbacks.append(("weight_averaging", WeightAveraging(decay=self.ema_decay)))
        if self.gradient_clip_value is not None:
            clipping = GradientNormClipping(gradient_clip_value=self.gradient_clip_value)
            callbacks.append(("gradient_clipping", clipping))
        if self.verbose and self.verbose > 1:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks += self._training_callbacks() + (self.callbacks or [])
        device = resolve_device(self.device, self.mixed_precision)
        precision = resolve_precision(self.mixed_precision, device)
        # Batches stay in ordinary memory, also for a GPU: pinning them in the
        # loop's own thread is a further copy on the host, and the copy to the
        # GPU (non-blocking) does not wait for the device either way. On an
        # H200, epochs without pinning took 0.71-1.01 times as long (one run,
        # benchmarks/results/bench_gpu_unpinned.json), as PyTorch's guide to
        # pin_memory and non_blocking warns it can.
        collate = self._collate()
        module_params = {**self._module_params(embedding), **self._fitted_module_params(train)}
        module_params = {f"module__{k}": v for k, v in module_params.items()}
        return self._net_class(
            module=self._module,
            criterion=self._criterion,
            criterion__reduction="none",
            **module_params,
            **self._net_params(),
            optimizer=OPTIMIZERS.get(self.optimizer, self.optimizer),
            **optimizer_params(self.optimizer, device),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=bucketed_loader,
            iterator_train__shuffle=True,
            iterator_train__bucket_by_length=self.bucket_by_length,
            iterator_train__collate_fn=collate,
            iterator_train__pin_memory=False,
            iterator_train__device=device,
            iterator_valid=inference_loader,
            iterator_valid__batch_size=self._inference_batch_size(),
            iterator_valid__collate_fn=collate,
            iterator_valid__pin_memory=False,
            iterator_valid__device=device,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=callbacks,
            device=device,
            mixed_precision=precision,
            # A seeded fit trains the same weights on a busy machine as on a quiet one.
            repeatable=self.random_state is not None,
            verbose=int(bool(self.verbose)),
        )

    def _inference_batch_size(self):
        """Sequences per validation and prediction batch: ``batch_size``, or 128 for narrow layers.

        Without a backward pass to keep, a step of a narrow recurrent layer
        (64 state values or fewer per sequence, both directions counted) is
        too small to keep the CPU busy, and each step costs its dispatch more
        than its arithmetic; wider layers gain nothing from more sequences
        per batch. Measured with ``predict_proba`` over 3,000 IMDB reviews
        (2-core AMD EPYC, medians of three alternating rounds per run,
        ``benchmarks/results/inference_batch/``): batches of 128 against 32
        took 0.56-0.77 times as long for a bidirectional GRU of 32 units
        (six runs), 0.75 for a GRU of 64 (one run); an LSTM of 64 was
        level (0.71 in a scratch run on reviews cut at 500 tokens); for
        the default classifier (two bidirectional LSTMs of 64 units) 64
        against 32 moved between 0.87 and 1.43 from run to run, and a
        bidirectional LSTM of 128 units was no faster with 128 and 1.3-1.8
        times slower with 256. Outputs do not depend on the batch
        (beyond float rounding).
        """
        width = self.hidden_size * (2 if self.bidirectional else 1)
        return max(self.batch_size, 128) if width <= 64 else self.batch_size

    def _encoder_params(self):
        """The recurrent layers' keyword arguments, shared by every network."""
        return dict(
            embedding_dim=self.embedding_dim,
            freeze_embedding=self.freeze_embedding,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            embedding_dropout=self.embedding_dropout,
        )

    # -- inference ---------------------------------------------------------------

    def _forward(self, seqs, method=None, targets=None, **kwargs):
        """Outputs of the fitted network's ``method`` for each sequence, in the input order.

        Batches go through skorch's iterator in length order (when
        ``bucket_by_length``), so each is padded only to its own longest
        sequence. Returns a tuple: one array per output of the method, rows
        in the order of ``seqs``; integer outputs of varying width are
        padded with 0 at the end.
        """
        order, restore = by_length(sequence_lengths(seqs), enabled=self.bucket_by_length)
        dataset = SequenceDataset(seqs, targets).subset(order)
        batches = [
            out if isinstance(out, tuple) else (out,)
            for out in self.net_.forward_method_iter(dataset, method, **kwargs)
        ]
        return tuple(_stack(parts)[restore] for parts in zip(*batches))

    @property
    def history_(self):
        """skorch's training history: one entry per epoch (losses, scores, durations)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def summary(self):
        """Print the layers, their output shapes and parameter counts, like Keras' summary()."""
        check_is_fitted(self, "net_")
        print_summary(type(self).__name__, self.net_.module_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _stack(parts):
    """Concatenate batch outputs; 2-D ones of different widths padded with 0 at the end."""
    if parts[0].ndim == 2:
        width = max(p.shape[1] for p in parts)
        parts = [torch.nn.functional.pad(p, (0, width - p.shape[1])) for p in parts]
    return torch.cat(parts).numpy()


class ManyToOneRNN(TransformerMixin, BaseRNN):
    """A model reading one vector per sequence: pooling, an output layer, ``transform``."""

    # An empty sequence reads as the zero vector (the layers' initial state),
    # as a bag of words gives an empty document a row of zeros: its prediction
    # comes from the output layer's bias, what the model learned of no evidence.
    _reads_empty_sequences = True

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "num_embeddings": [Interval(numbers.Integral, OOV_ID + 1, None, closed="left"), None],
        "pooling": [StrOptions({"last", "max", "mean"})],
        "ensemble_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    @property
    def _module(self):
        return EnsembleModule if self.ensemble_size_ > 1 else ManyToOneModule

    def _resolve_ensemble_size(self, n_tokens):
        """The number of networks to train on data of ``n_tokens`` steps in all."""
        return self.ensemble_size

    def _build_net(self, embedding, train, valid):
        n_tokens = int(train.lengths.sum()) + (0 if valid is None else int(valid.lengths.sum()))
        self.ensemble_size_ = self._resolve_ensemble_size(n_tokens)
        return super()._build_net(embedding, train, valid)

    def _module_params(self, embedding):
        ensemble = {"ensemble_size": self.ensemble_size_} if self.ensemble_size_ > 1 else {}
        return {
            **ensemble,
            **self._encoder_params(),
            "num_embeddings": self.num_embeddings_,
            "input_size": getattr(self, "n_features_in_", None)
            if self.num_embeddings_ is None
            else None,
            # A copy: training must never write into the transformer's matrix.
            "embedding_weights": None if embedding is None else torch.tensor(np.asarray(embedding)),
            "pooling": self.pooling,
            "output_dropout": self.dropout,
            "n_outputs": self.target_encoder_.n_outputs_,
        }

    def _outputs(self, X):
        """The network's outputs (logits or scaled values) for each sequence of X."""
        seqs, _ = self._validate_data(X, reset=False)
        return self._forward(seqs)[0]

    def predict(self, X):
        """The prediction for each sequence: a class label, or values in the targets' units."""
        outputs = self._outputs(X)  # checks that the model is fitted
        return self.target_encoder_.inverse_transform(outputs)

    def transform(self, X):
        """The learned fixed-length representation of each sequence (what the output layer reads).

        Returns
        -------
        Xt : ndarray of shape (n_samples, hidden_size * (2 if bidirectional else 1))
            Times ``ensemble_size`` for an ensemble: the members'
            representations side by side.
        """
        seqs, _ = self._validate_data(X, reset=False)
        return self._forward(seqs, "encoder")[0]

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the learned representation of X."""
        return self.fit(X, y, **fit_params).transform(X)
