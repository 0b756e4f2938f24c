"""LSTMRegressor: sequence regression and time-series forecasting."""

from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.linear_model import RidgeCV
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import ManyToOneRNN
from ._docs import fill_parameters
from ._nets import WeightedNeuralNetRegressor
from ._targets import ScaledTargets
from .modules import GaussianNLLLoss, PinballLoss

#: The most values (steps x features) of a window that ``linear_lags='all'`` reads.
MAX_LINEAR_INPUTS = 1024


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
    linear_lags_ : int or None
        Steps the linear path reads (numeric input); None for token ids.
    std_scale_ : float
        The factor ``predict(X, return_std=True)`` applies to the Gaussian
        head's spread: the root mean square of the early-stopping residuals
        in units of their predicted standard deviations (1 without early
        stopping, and for the losses without a Gaussian head).
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

    _net_class = WeightedNeuralNetRegressor
    # return_std is an option of predict, not metadata to route (as in sklearn's trees).
    __metadata_request__predict = {"return_std": metadata_routing.UNUSED}

    _parameter_constraints = {
        **ManyToOneRNN._parameter_constraints,
        "window_normalization": [StrOptions({"last", "mean"}), None],
        "linear_lags": [Interval(Integral, 0, None, closed="left"), StrOptions({"all"})],
        "loss": [StrOptions({"squared_error", "absolute_error", "quantile", "gaussian_nll"})],
        "quantile": [Interval(Real, 0, 1, closed="neither"), None],
        "validation_split": [StrOptions({"random", "last"})],
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
        pooling="last",
        window_normalization="last",
        linear_lags="all",
        loss="squared_error",
        quantile=None,
        ensemble_size=1,
        freeze_embedding=False,
        optimizer="adam",
        lr=3e-3,
        max_epochs=300,
        batch_size=32,
        gradient_clip_value=1.0,
        ema_decay=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        validation_split="random",
        patience=20,
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
        self.window_normalization = window_normalization
        self.linear_lags = linear_lags
        self.loss = loss
        self.quantile = quantile
        self.ensemble_size = ensemble_size
        self.freeze_embedding = freeze_embedding
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.gradient_clip_value = gradient_clip_value
        self.ema_decay = ema_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
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

    @property
    def _criterion(self):
        return {
            "squared_error": torch.nn.MSELoss,
            "absolute_error": torch.nn.L1Loss,
            "quantile": PinballLoss,
            "gaussian_nll": GaussianNLLLoss,
        }[self.loss]

    def _net_params(self):
        if self.loss != "quantile":
            return {}
        if self.quantile is None:
            raise ValueError(
                "loss='quantile' predicts the quantile set by the quantile parameter; "
                "got quantile=None. Set e.g. quantile=0.9."
            )
        return {"criterion__quantile": self.quantile}

    def _numeric(self):
        return self.input_kind_ == "numeric"

    def _module_params(self, embedding):
        params = super()._module_params(embedding)
        params["gaussian"] = self.loss == "gaussian_nll"
        if not self._numeric():
            return params
        return {
            **params,
            "window_normalization": self.window_normalization,
            "linear_lags": self.linear_lags_,
        }

    def _learn_input_sizes(self, seqs, kind, embedding):
        super()._learn_input_sizes(seqs, kind, embedding)
        self.linear_lags_ = None
        if kind != "numeric":
            return
        shortest = int(min(len(s) for s in seqs))
        uses_steps = self.window_normalization is not None or self.linear_lags != 0
        if uses_steps and shortest == 0:
            i = next(i for i, s in enumerate(seqs) if len(s) == 0)
            raise ValueError(
                f"Sequence {i} is empty; window_normalization and the linear path "
                "(linear_lags) read the recent steps of every sequence. Drop empty "
                "sequences, or set window_normalization=None and linear_lags=0."
            )
        if self.linear_lags == "all":
            # Every step, up to MAX_LINEAR_INPUTS values per window: the ridge
            # start and the layer stay small for long multivariate sequences.
            lags = min(shortest, max(1, MAX_LINEAR_INPUTS // self.n_features_in_))
        else:
            lags = self.linear_lags
        if self.window_normalization is not None and lags == 0:
            raise ValueError(
                "window_normalization re-bases each window, so the level must reach the "
                "prediction through the linear path: set linear_lags >= 1 (or 'all'), or "
                "window_normalization=None."
            )
        if lags > shortest:
            raise ValueError(
                f"linear_lags={lags} but the shortest training sequence has {shortest} "
                "steps; the linear path reads that many recent steps of every sequence."
            )
        self.linear_lags_ = lags

    def _validate_data(self, X, *, reset, training=False):
        seqs, embedding = super()._validate_data(X, reset=reset, training=training)
        if not reset and self.linear_lags_:
            short = np.flatnonzero(np.array([len(s) for s in seqs]) < self.linear_lags_)
            if len(short):
                raise ValueError(
                    f"{len(short)} sequence(s) are shorter than the {self.linear_lags_} "
                    f"steps the linear path reads (first at index {short[0]}, "
                    f"{len(seqs[short[0]])} steps); the model was fitted with linear_lags="
                    f"{self.linear_lags!r}."
                )
        return seqs, embedding

    def _fitted_module_params(self, train):
        """The linear path's start: least squares of the targets on the recent steps."""
        if not self._numeric() or not self.linear_lags_:
            return {}
        k = self.linear_lags_
        lags = np.stack([s[len(s) - k :].reshape(-1) for s in train.sequences]).astype(np.float64)
        weight = train.sample_weight
        mean = np.average(lags, axis=0, weights=weight)
        scale = np.sqrt(np.average((lags - mean) ** 2, axis=0, weights=weight))
        scale[scale < 1e-8] = 1.0  # a constant input: nothing to standardise
        ridge = RidgeCV(alphas=np.logspace(-3, 3, 13))
        ridge.fit((lags - mean) / scale, train.targets, sample_weight=weight)
        residuals = train.targets - ridge.predict((lags - mean) / scale).reshape(
            train.targets.shape
        )
        as_tensor = partial(torch.as_tensor, dtype=torch.float32)
        return {
            "linear_init": {
                "mean": as_tensor(mean),
                "scale": as_tensor(scale),
                "weight": as_tensor(ridge.coef_).reshape(self.n_outputs_, -1),
                "bias": as_tensor(ridge.intercept_).reshape(-1),
                # The Gaussian head starts at the ridge residuals' variance.
                "log_var": as_tensor(
                    np.log(np.average(residuals**2, axis=0, weights=weight) + 1e-6)
                ),
            }
        }

    def _after_fit(self, valid):
        """Calibrate the Gaussian head's spread on the early-stopping data.

        ``std_scale_`` is the root mean square of the validation residuals
        in units of their predicted standard deviations: 1 when the spread
        is right, above 1 when training left it too narrow.
        """
        self.std_scale_ = 1.0
        if self.loss != "gaussian_nll" or valid is None or len(valid) == 0:
            return
        outputs = self._forward(list(valid.sequences))[0].astype(np.float64)
        k = self.n_outputs_
        z = (valid.targets - outputs[:, :k]) * np.exp(-0.5 * outputs[:, k:])
        weight = valid.sample_weight
        mean_sq = np.average((z**2).mean(axis=1), weights=weight)
        self.std_scale_ = float(np.sqrt(mean_sq)) if np.isfinite(mean_sq) else 1.0

    def predict(self, X, return_std=False):
        """The prediction for each sequence, in the targets' units; with its spread if asked.

        Parameters
        ----------
        X : numeric or token-id sequences
        return_std : bool, default=False
            Also return the standard deviation of each prediction (the
            Gaussian head's, ``loss='gaussian_nll'`` only), as
            ``GaussianProcessRegressor.predict`` does.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        y_std : ndarray of the same shape, only with ``return_std``
            The central interval of coverage ``c`` is ``y_pred +- z * y_std``
            with ``z = scipy.stats.norm.ppf((1 + c) / 2)``.
        """
        if return_std and self.loss != "gaussian_nll":
            raise ValueError(
                "return_std=True needs a model of the spread: fit with loss='gaussian_nll'."
            )
        outputs = self._outputs(X)
        k = self.n_outputs_
        pred = self.target_encoder_.inverse_transform(outputs[:, :k])
        if not return_std:
            return pred
        std = np.exp(0.5 * outputs[:, k:].astype(np.float64)) * self.target_scaler_.scale_
        std *= getattr(self, "std_scale_", 1.0)
        return pred, std.reshape(pred.shape)

    n_outputs_ = property(lambda self: self.target_encoder_.n_outputs_)
    target_scaler_ = property(lambda self: self.target_encoder_.scaler_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
