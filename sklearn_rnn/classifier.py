"""RNNClassifier: recurrent sequence classification that behaves like a scikit-learn classifier."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from ._base import BaseRNN, RepresentationMixin, SequenceDataset, WeightedNeuralNetClassifier
from .modules import ManyToOneModule


class RNNClassifier(ClassifierMixin, RepresentationMixin, BaseRNN):
    """A recurrent network (simple RNN, LSTM or GRU) classifying whole sequences.

    Input is token-id sequences (ragged, or 2-D padded with 0, e.g. from
    :class:`TextTokenizer` and :class:`SequencePadder`; a
    :class:`TokenSequences` from :class:`PretrainedEmbedding` also initialises
    the embedding) or numeric sequences (a 3-D float array or ragged 2-D float
    arrays). Each sequence is read up to its true length, so padding, at the
    start or the end, never changes a prediction.

    Training is skorch's (``net_``): Adam, gradient-norm clipping, and early
    stopping on a stratified validation split drawn, with ``random_state``,
    from the data given to ``fit``, so it is safe inside cross-validation and
    grid search; the weights of the best validation epoch are kept.

    Parameters
    ----------
    cell : {'lstm', 'gru', 'rnn'}, default='lstm'
        Recurrent cell; 'rnn' is the simple tanh RNN.
    embedding_dim : int, default=64
        Width of the learned embedding (ignored with pretrained vectors and
        for numeric input).
    num_embeddings : int or None, default=None
        Rows of the embedding layer (the size of the id space, reserved ids
        included). None: the largest id seen by ``fit`` + 1. Set it when later
        ``partial_fit`` calls may bring ids the first batch did not hold, e.g.
        to ``HashingOneHot().n_features`` when streaming hashed text.
    hidden_size : int, default=64
        Units per recurrent layer and direction.
    num_layers : int, default=1
        Stacked recurrent layers.
    bidirectional : bool, default=False
        Also read each sequence backwards.
    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.
    embedding_dropout : float, default=0.0
        Dropout on the embedded input.
    pooling : {'max', 'last', 'mean'}, default='max'
        What reaches the output layer: the max or mean of the states over the
        true steps, or the true last state (both directions' final states when
        bidirectional). 'max' is the default because it trains quickly and
        reliably on long texts, where the last state of a one-layer LSTM must
        carry a whole review.
    freeze_embedding : bool, default=False
        Keep the (pretrained) embedding fixed.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'} or torch optimizer class, default='adam'
    lr : float, default=1e-3
    max_epochs : int, default=10
    batch_size : int, default=32
    gradient_clip_value : float or None, default=1.0
        Clip the gradient norm (against exploding gradients); None disables.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data and stop when its
        loss has not improved for ``patience`` epochs.
    validation_fraction : float, default=0.1
    patience : int, default=2
    warm_start : bool, default=False
        ``fit`` continues training the fitted net instead of starting anew.
    bucket_by_length : bool, default=True
        Train on batches of sequences of similar length (shuffled pools sorted
        by length, batches in random order) and predict in length order,
        results returned in the input order. Each batch is padded only to its
        own longest sequence, so this saves the steps spent on padding; the
        results are those of any batching (padding never changes an output).
        False gives plain random batches.
    device : str, default='auto'
        'auto' uses the GPU when there is one, else the CPU; or any torch device.
        On a GPU, batches come from pinned memory and are copied without
        blocking; the recurrent layers run torch's cuDNN kernels.
    mixed_precision : {'no', 'bf16', 'fp16'}, default='no'
        Train and predict under ``torch.autocast``: 'bf16' in bfloat16 (GPUs
        from Ampere on, and CPUs; no loss scaling needed), 'fp16' in float16
        with loss scaling (``torch.amp.GradScaler``; CUDA only). Weights stay
        float32 and outputs are float32.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, dropout, the batch order and the validation split.
    verbose : int, default=0
        1 prints skorch's per-epoch table (losses, validation accuracy,
        duration); 2 adds a progress bar within epochs.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (e.g. ``LRScheduler``, ``Checkpoint``).

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    net_ : skorch.NeuralNetClassifier
        The trained skorch net; ``net_.module_`` is the PyTorch model.
    history_ : skorch.History
        Per-epoch training history.
    num_embeddings_ : int or None
        Embedding rows (``num_embeddings``, else the largest training id + 1, or
        the pretrained matrix rows).
    n_features_in_ : int
        Features per step, for numeric input.

    Notes
    -----
    At predict time, ids the model never saw in training (larger than any
    training id) are read as the out-of-vocabulary id 1. Empty sequences are
    an error.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_rnn import RNNClassifier, TextTokenizer
    >>> texts = ["good film", "great fun", "bad film", "awful mess"] * 8
    >>> labels = ["pos", "pos", "neg", "neg"] * 8
    >>> model = make_pipeline(TextTokenizer(), RNNClassifier(max_epochs=30, random_state=0,
    ...                                                      early_stopping=False))
    >>> model.fit(texts, labels).predict(["good fun", "awful film"])
    array(['pos', 'neg'], dtype='<U3')
    """

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        embedding_dim=64,
        num_embeddings=None,
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        embedding_dropout=0.0,
        pooling="max",
        freeze_embedding=False,
        optimizer="adam",
        lr=1e-3,
        max_epochs=10,
        batch_size=32,
        gradient_clip_value=1.0,
        class_weight=None,
        early_stopping=True,
        validation_fraction=0.1,
        patience=2,
        warm_start=False,
        bucket_by_length=True,
        device="auto",
        mixed_precision="no",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.pooling = pooling
        self.freeze_embedding = freeze_embedding
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.gradient_clip_value = gradient_clip_value
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.bucket_by_length = bucket_by_length
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _check_y(self, X_len, y):
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        if len(y) != X_len:
            raise ValueError(f"X holds {X_len} sequences but y holds {len(y)} labels.")
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type {type_of_target(y)!r}: RNNClassifier takes binary or "
                "multiclass labels."
            )
        return y

    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and labels y.

        Parameters
        ----------
        X : token-id or numeric sequences
        y : array-like of shape (n_samples,)
            Labels of any type (strings, ints).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : RNNClassifier
        """
        if self.warm_start and hasattr(self, "net_"):
            return self.partial_fit(X, y, sample_weight=sample_weight)
        self._validate_params()
        seqs, weights = self._sequences(X, fitting=True)
        y = self._check_y(len(seqs), y)
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                "RNNClassifier needs at least two classes in y; got 1 class "
                f"({encoder.classes_.tolist()[0]!r})."
            )
        self.classes_ = encoder.classes_
        targets = encoder.transform(y).astype(np.int64)
        sample_weight = _check_sample_weight(sample_weight, seqs, dtype=np.float32)
        criterion_weight = None
        if self.class_weight is not None:
            cw = (
                compute_class_weight(
                    self.class_weight, classes=np.arange(len(self.classes_)), y=targets
                )
                if self.class_weight == "balanced"
                else np.array([self.class_weight.get(c, 1.0) for c in self.classes_])
            )
            criterion_weight = torch.as_tensor(cw, dtype=torch.float32)
        return self._fit_net(
            seqs,
            weights,
            targets,
            sample_weight,
            net_class=WeightedNeuralNetClassifier,
            module=ManyToOneModule,
            module_params={"n_outputs": len(self.classes_)},
            criterion=torch.nn.CrossEntropyLoss,
            criterion_params={"weight": criterion_weight},
            net_params={"classes": list(range(len(self.classes_)))},
            stratify=targets,
        )

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more round of ``max_epochs`` epochs on X, y (no validation split).

        The first call fits; ``classes`` must then list every label.
        """
        if not hasattr(self, "net_"):
            if classes is not None:
                missing = set(classes) - set(np.unique(y))
                if missing:
                    raise ValueError(
                        f"The first partial_fit needs examples of every class; missing {missing}."
                    )
            return self.fit(X, y, sample_weight=sample_weight)
        seqs, _ = self._sequences(X, fitting=False, training=True)
        y = self._check_y(len(seqs), y)
        unseen = set(np.unique(y)) - set(self.classes_)
        if unseen:
            unseen = np.array(sorted(unseen)).tolist()
            raise ValueError(f"y holds labels not seen in the first fit: {unseen}.")
        targets = np.searchsorted(self.classes_, y).astype(np.int64)
        sample_weight = _check_sample_weight(sample_weight, seqs, dtype=np.float32)
        self.net_.partial_fit(SequenceDataset(seqs, targets, sample_weight), y=None)
        return self

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self, "net_")
        seqs, _ = self._sequences(X, fitting=False)
        return self._predict_net(seqs, "predict_proba").astype(np.float64)

    def predict(self, X):
        """The most probable class of each sequence."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]
