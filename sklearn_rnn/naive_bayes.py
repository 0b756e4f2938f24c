"""NaiveBayesWeighting: the Naive Bayes log-count ratio of NBSVM, as a transformer."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted


class NaiveBayesWeighting(TransformerMixin, BaseEstimator):
    """Scale binarised features by their Naive Bayes log-count ratio (NBSVM, Wang & Manning 2012).

    ``r = log((p / |p|_1) / (q / |q|_1))`` with ``p = alpha + sum of the
    positive rows``, ``q`` the same over the negative rows; ``transform``
    returns ``1{X > 0} * r``. A linear model on these features is the
    "NB-weighted" bag-of-n-grams baseline, one of the strongest on sentiment.

    The ratio contrasts two classes. For several, put the weighting and its
    classifier in :class:`~sklearn.multiclass.OneVsRestClassifier`: one
    weighting per class against the rest, as the ``nb-bigram`` named model
    does (:func:`sklearn_rnn.named_models.make_model`).

    Parameters
    ----------
    alpha : float, default=1.0
        Smoothing count added to every feature.

    Attributes
    ----------
    log_count_ratio_ : ndarray of shape (n_features,)
    classes_ : ndarray of shape (2,)
        The labels; the second is the "positive" one.
    """

    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, *, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        """Learn the log-count ratio of each feature from binarised X and binary y."""
        self._validate_params()
        if type_of_target(y) != "binary":
            raise ValueError(
                "NaiveBayesWeighting needs binary labels (two classes); got "
                f"{type_of_target(y)!r} labels. For several classes, put it and its "
                "classifier in sklearn.multiclass.OneVsRestClassifier (one weighting per "
                "class against the rest), as the nb-bigram named model does."
            )
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        binary = (X > 0).astype(np.float64)
        p = self.alpha + np.asarray(binary[y == self.classes_[1]].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(binary[y == self.classes_[0]].sum(axis=0)).ravel()
        self.log_count_ratio_ = np.log((p / p.sum()) / (q / q.sum()))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Binarise X and scale each column by its log-count ratio."""
        check_is_fitted(self, "log_count_ratio_")
        X = sp.csr_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but NaiveBayesWeighting was fitted with "
                f"{self.n_features_in_}."
            )
        return ((X > 0).astype(np.float64) @ sp.diags(self.log_count_ratio_)).tocsr()
