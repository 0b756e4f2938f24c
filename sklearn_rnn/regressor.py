"""LSTMRegressor: sequence regression and time-series forecasting."""

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._base import BaseRNN, RepresentationMixin, SequenceDataset, WeightedNeuralNetRegressor
from .modules import ManyToOneModule


class LSTMRegressor(RegressorMixin, RepresentationMixin, BaseRNN):
    """A recurrent network (LSTM by default) predicting one or several numbers per sequence.

    Input is numeric sequences (a 3-D float array ``(n_samples, timesteps,
    n_features)``, ragged 2-D float arrays, or a 2-D float array of univariate
    sequences) or token-id sequences (e.g. a review's rating from its text).
    Targets are standardised internally and predictions returned in the
    original units. For forecasting, build the windows with
    :func:`~sklearn_rnn.make_windows` and scale the inputs inside the Pipeline
    with :class:`~sklearn_rnn.SequenceScaler`.

    Every other parameter is :class:`RNNClassifier`'s (cell, depth,
    bidirectional, dropout, pooling, training, early stopping, device, mixed
    precision, reproducibility, verbosity), with these defaults changed:

    Parameters
    ----------
    pooling : {'last', 'max', 'mean'}, default='last'
        The true last state: what a forecaster needs is the latest state of
        the series.
    lr : float, default=1e-3
    max_epochs : int, default=100
        Regression data sets are usually small; early stopping (on by default,
        ``patience=10``) ends training when the validation loss stalls.
    patience : int, default=10

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
    history_ : skorch.History
    n_outputs_ : int
        Number of targets.
    target_scaler_ : StandardScaler
        Standardises the targets during training.
    n_features_in_ : int
        Features per step, for numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import LSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(256, 6, 1)).astype("float32")
    >>> y = X[:, 0, 0] * 10  # the first value of each window, scaled
    >>> reg = LSTMRegressor(hidden_size=16, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

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
        pooling="last",
        freeze_embedding=False,
        optimizer="adam",
        lr=1e-3,
        max_epochs=100,
        batch_size=32,
        gradient_clip_value=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        patience=10,
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

    def _check_y(self, n_samples, y):
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        y = np.asarray(y)
        if y.dtype == object or not np.issubdtype(y.dtype, np.number):
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"Regression targets must be numbers; got dtype {y.dtype}."
                ) from None
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D (n_samples, n_outputs); got {y.ndim}-D.")
        if len(y) != n_samples:
            raise ValueError(f"X holds {n_samples} sequences but y holds {len(y)} targets.")
        if not np.isfinite(y).all():
            bad = int(np.flatnonzero(~np.isfinite(y.reshape(len(y), -1)).all(axis=1))[0])
            raise ValueError(f"y holds NaN or infinite values (first at sample {bad}).")
        return y

    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and targets y of shape (n_samples,) or (n_samples, n_outputs)."""
        if self.warm_start and hasattr(self, "net_"):
            return self.partial_fit(X, y, sample_weight=sample_weight)
        self._validate_params()
        seqs, weights = self._sequences(X, fitting=True)
        y = self._check_y(len(seqs), y)
        self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        sample_weight = _check_sample_weight(sample_weight, seqs, dtype=np.float32)
        self.target_scaler_ = StandardScaler().fit(y2, sample_weight=sample_weight)
        targets = self.target_scaler_.transform(y2).astype(np.float32)
        return self._fit_net(
            seqs,
            weights,
            targets,
            sample_weight,
            net_class=WeightedNeuralNetRegressor,
            module=ManyToOneModule,
            module_params={"n_outputs": self.n_outputs_},
            criterion=torch.nn.MSELoss,
            criterion_params={},
            net_params={},
        )

    def partial_fit(self, X, y, sample_weight=None):
        """Train ``max_epochs`` more epochs on X, y (no validation split); the first call fits."""
        if not hasattr(self, "net_"):
            return self.fit(X, y, sample_weight=sample_weight)
        seqs, _ = self._sequences(X, fitting=False, training=True)
        y = self._check_y(len(seqs), y).reshape(len(seqs), -1)
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs; the model was fitted on {self.n_outputs_}."
            )
        targets = self.target_scaler_.transform(y).astype(np.float32)
        sample_weight = _check_sample_weight(sample_weight, seqs, dtype=np.float32)
        self.net_.partial_fit(SequenceDataset(seqs, targets, sample_weight), y=None)
        return self

    def predict(self, X):
        """Predictions in the units of the training targets."""
        check_is_fitted(self, "net_")
        seqs, _ = self._sequences(X, fitting=False)
        scaled = self._predict_net(seqs, "predict").reshape(len(seqs), -1)
        pred = self.target_scaler_.inverse_transform(scaled.astype(np.float64))
        return pred.ravel() if self._y_ndim == 1 else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
