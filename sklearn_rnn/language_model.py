"""RNNLMClassifier: a recurrent language model per class, classifying by Bayes' rule."""

import numbers

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN
from ._batching import collate_language_model
from ._docs import fill_parameters
from ._nets import LanguageModelNet
from ._sequences import EOS_ID
from ._targets import ClassTargets
from .modules import ClassLanguageModelsModule, SequenceNLLLoss


@fill_parameters
class RNNLMClassifier(ClassifierMixin, BaseRNN):
    """A recurrent language model per class; a text goes to the class whose model explains it best.

    A generative classifier (Mesnil et al. 2014, who trained one recurrent
    language model on IMDB's positive reviews and one on its negative ones):
    each class's model learns to predict the next token of that class's
    sequences, and a sequence is classified by how likely each model finds
    it (Bayes' rule). A discriminative model (:class:`RNNClassifier`, a bag
    of n-grams) learns which words separate the classes; these models learn
    how each class's texts are written, word by word, and so err on other
    texts: beside bags of n-grams in a stack they add what a discriminative
    network of the same data does not.

    Input is token-id sequences, as for :class:`RNNClassifier` (ragged, or
    2-D padded with 0; in a Pipeline after a :class:`TextTokenizer`). Each
    sequence is read between the begin and end ids (2 and 3), which the
    model adds, so the first token and the end of the text are predicted
    too. The output layer is an adaptive softmax over the vocabulary (see
    :class:`~sklearn_rnn.modules.LanguageModelModule`): cap the tokenizer's
    vocabulary (``max_tokens``) to bound its size.

    Training is skorch's (``net_``): each sequence trains its own class's
    model only, on the negative log-likelihood per token (the validation
    loss is its value on the held-out sequences, whose exponential is the
    perplexity), with early stopping on a stratified validation split. After
    training, a logistic regression is fitted on the held-out sequences'
    log-likelihoods per token under each class's model (``calibration_``):
    it turns them into calibrated probabilities and learns the classes'
    priors. Without early stopping there is no held-out data for it:
    ``predict_proba`` is then the softmax of the log-likelihoods per token,
    whose largest is the prediction, but whose values are not calibrated.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    calibration_ : sklearn.linear_model.LogisticRegression or None
        Fitted on the validation sequences' log-likelihoods per token (one
        column per class, each row minus its mean); None without early
        stopping. Training further (``warm_start`` or ``partial_fit``) holds
        out no validation split, so it keeps the first fit's calibration.
    num_embeddings_ : int
        Embedding rows and tokens scored (``num_embeddings``, else the
        largest training id + 1).
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the PyTorch model.
    history_ : skorch.History
        Per-epoch training history (losses, durations).

    See Also
    --------
    RNNClassifier : A discriminative recurrent classifier.

    Notes
    -----
    Training costs a language model's training per token: the same
    arithmetic as one recurrent network over the data, plus the softmax,
    each class's model reading its own class's sequences. Prediction runs
    every class's model over every sequence. At predict time, ids the model
    never saw in training are read as the out-of-vocabulary id 1.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_rnn import RNNLMClassifier, TextTokenizer
    >>> texts = ["a good film", "great fun here", "a bad film", "an awful mess"] * 8
    >>> labels = ["pos", "pos", "neg", "neg"] * 8
    >>> model = make_pipeline(TextTokenizer(), RNNLMClassifier(max_epochs=20, random_state=0,
    ...                                                        early_stopping=False))
    >>> model.fit(texts, labels).predict(["good fun", "an awful film"])
    array(['pos', 'neg'], dtype='<U3')
    """

    _module = ClassLanguageModelsModule
    _criterion = SequenceNLLLoss
    _net_class = LanguageModelNet
    _stratify = True
    _numeric_input = False
    _target_noun = "labels"
    # An empty sequence is the end id after the begin id: each model scores it.
    _reads_empty_sequences = True

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "num_embeddings": [Interval(numbers.Integral, EOS_ID + 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        embedding_dim=64,
        hidden_size=128,
        num_layers=1,
        dropout=0.3,
        num_embeddings=None,
        optimizer="adam",
        lr=5e-3,
        max_epochs=10,
        batch_size=32,
        gradient_clip_value=1.0,
        ema_decay=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        patience=1,
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
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.num_embeddings = num_embeddings
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.gradient_clip_value = gradient_clip_value
        self.ema_decay = ema_decay
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

    # -- what the template asks ------------------------------------------------

    def _target_encoder(self):
        return ClassTargets()

    classes_ = property(lambda self: self.target_encoder_.classes_)

    def _collate(self):
        return collate_language_model

    def _validate_data(self, X, *, reset, training=False):
        seqs, embedding = super()._validate_data(X, reset=reset, training=training)
        if reset:  # room for the end id, which every sequence ends on
            self.num_embeddings_ = max(self.num_embeddings_, EOS_ID + 1)
        if embedding is not None:
            raise ValueError(
                "RNNLMClassifier learns its own embedding and scores the next token over "
                "the same ids; it does not take a PretrainedEmbedding's vectors. Use a "
                "TextTokenizer before it."
            )
        return seqs, embedding

    def _module_params(self, embedding):
        if self.target_encoder_.multilabel_:
            raise ValueError(
                "RNNLMClassifier takes one label per sequence (a language model per "
                "class); got a multi-label indicator matrix."
            )
        return {
            "n_classes": self.target_encoder_.n_outputs_,
            "num_embeddings": self.num_embeddings_,
            "embedding_dim": self.embedding_dim,
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
        }

    def _after_fit(self, valid):
        self.calibration_ = None
        if valid is None:
            return
        features = self._features(self._forward(valid.sequences)[0], valid.sequences)
        targets = np.asarray(valid.targets)
        if len(np.unique(targets)) < 2:  # nothing to calibrate against
            return
        self.calibration_ = LogisticRegression().fit(
            features, targets, sample_weight=valid.sample_weight
        )

    @staticmethod
    def _features(log_likelihoods, seqs):
        """Log-likelihoods per predicted token, each row minus its mean."""
        tokens = np.array([len(s) + 1 for s in seqs], dtype=np.float64)
        per_token = np.asarray(log_likelihoods, dtype=np.float64) / tokens[:, None]
        return per_token - per_token.mean(axis=1, keepdims=True)

    def _inference_batch_size(self):
        return self.batch_size

    # -- inference ---------------------------------------------------------------

    def log_likelihood(self, X):
        """Each class's model's log-likelihood of each sequence (natural log, summed over tokens).

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. Divided by the tokens
            predicted (the sequence's length + 1, for the end id) and negated,
            it is the cross-entropy per token; its exponential, the perplexity.
        """
        seqs, _ = self._validate_data(X, reset=False)
        return self._forward(seqs)[0].astype(np.float64)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        seqs, _ = self._validate_data(X, reset=False)
        features = self._features(self._forward(seqs)[0], seqs)
        calibration = getattr(self, "calibration_", None)
        if calibration is not None:
            proba = calibration.predict_proba(features)
            if proba.shape[1] == len(self.classes_):
                return proba
            # Calibrated on a validation split without every class: its
            # columns are those classes only.
            full = np.zeros((len(seqs), len(self.classes_)))
            full[:, calibration.classes_] = proba
            return full
        return torch.from_numpy(features).softmax(dim=1).numpy()

    def predict(self, X):
        """The class of each sequence: the largest probability."""
        check_is_fitted(self, "net_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags
