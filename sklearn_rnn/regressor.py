"""LSTMRegressor: sequence regression and time-series forecasting."""

import torch
from sklearn.base import RegressorMixin

from ._base import ManyToOneRNN
from ._docs import fill_parameters
from ._nets import WeightedNeuralNetRegressor
from ._targets import ScaledTargets


@fill_parameters
class LSTMRegressor(RegressorMixin, ManyToOneRNN):
    """A recurrent network (LSTM by default) predicting one or several numbers per sequence.

    Input is numeric sequences (a 3-D float array ``(n_samples, timesteps,
    n_features)``, ragged 2-D float arrays, or a 2-D float array of univariate
    sequences) or token-id sequences (e.g. a review's rating from its text).
    Targets are standardised internally and predictions returned in the
    original units. For forecasting, build the windows with
    :func:`~sklearn_rnn.make_windows` and scale the inputs inside the Pipeline
    with :class:`~sklearn_rnn.SequenceScaler`.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    target_scaler_ : StandardScaler
        Standardises the targets during training.
    $many_to_one_attributes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import LSTMRegressor
    >>> X = np.random.default_rng(0).normal(size=(256, 6, 1)).astype("float32")
    >>> reg = LSTMRegressor(hidden_size=16, random_state=0).fit(X, X[:, 0, 0] * 10)
    >>> bool(reg.score(X, X[:, 0, 0] * 10) > 0.9)
    True
    """

    _criterion = torch.nn.MSELoss
    _net_class = WeightedNeuralNetRegressor

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

    def _target_encoder(self):
        return ScaledTargets()

    n_outputs_ = property(lambda self: self.target_encoder_.n_outputs_)
    target_scaler_ = property(lambda self: self.target_encoder_.scaler_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
