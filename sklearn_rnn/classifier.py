"""RNNClassifier: recurrent sequence classification that behaves like a scikit-learn classifier."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import EpochScoring

from ._base import ManyToOneRNN
from ._docs import fill_parameters
from ._nets import WeightedNeuralNetClassifier, WeightedNeuralNetMultiLabel
from ._targets import ClassTargets
from .modules import PAIR_FACTOR, _hash_table_rows

#: ``ensemble_size='auto'`` trains two networks on training data of at most this
#: many tokens in all, one on more: the second network gains most on data sets
#: of a few thousand labelled examples, short or long, where a fit takes seconds
#: to a minute or two (see ``ensemble_size``).
AUTO_ENSEMBLE_TOKENS = 2_000_000


def _ngram_buckets(sequences, low=2**10, high=2**20):
    """Rows for the hashed word pairs of ``linear_ngrams=2``: a power of two at
    least twice the distinct pairs of neighbouring ids in ``sequences`` (1-D
    id arrays), within [low, high]. A table the size of the data's pairs,
    rather than of the largest corpus, keeps each step's update cheap: Adam
    updates every row of the path's dense gradient, seen in the batch or not.
    """
    pairs = [np.asarray(s[:-1], np.int64) * PAIR_FACTOR + s[1:] for s in sequences if len(s) > 1]
    distinct = len(np.unique(np.concatenate(pairs))) if pairs else 0
    return _hash_table_rows(distinct, low, high)


@fill_parameters
class RNNClassifier(ClassifierMixin, ManyToOneRNN):
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
    grid search; the weights of the best validation epoch are kept. By default
    two networks train side by side and their logits are averaged
    (``ensemble_size=2``; ``ensemble_size=1`` for one network, in about half
    the time).

    ``y`` holds one label per sequence, or, for multi-label classification, a
    2-D binary indicator matrix (``MultiLabelBinarizer``'s output): then each
    label has its own sigmoid output, ``predict`` returns 0/1 per label (at
    probability 0.5), ``predict_proba`` each label's probability and
    ``score`` the subset accuracy, as scikit-learn's ``MLPClassifier`` does.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    classes_ : ndarray
        The class labels (multi-label: the label columns, 0 to n_labels - 1).
    class_weight_ : ndarray of shape (n_classes,) or None
        The weight of each class in the loss (None: all weigh 1).
    $many_to_one_attributes

    Notes
    -----
    At predict time, ids the model never saw in training (larger than any
    training id) are read as the out-of-vocabulary id 1. An empty sequence (an
    empty document, or one with no token the tokenizer keeps) reads as the
    zero vector, the recurrent layers' initial state, as a bag of words gives
    it a row of zeros: its prediction comes from the output layer's bias.

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

    @property
    def _multilabel(self):
        return getattr(getattr(self, "target_encoder_", None), "multilabel_", False)

    # Softmax over classes, or a sigmoid per label for a multi-label indicator y.
    _criterion = property(
        lambda self: torch.nn.BCEWithLogitsLoss if self._multilabel else torch.nn.CrossEntropyLoss
    )
    _net_class = property(
        lambda self: (
            WeightedNeuralNetMultiLabel if self._multilabel else WeightedNeuralNetClassifier
        )
    )
    _stratify = True
    _target_noun = "labels"

    _parameter_constraints = {
        **ManyToOneRNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "scoring": [str],
        "word_dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "adversarial_eps": [Interval(Real, 0, None, closed="left")],
        "linear_ngrams": [Interval(Integral, 0, 2, closed="both")],
        "ensemble_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        embedding_dim=64,
        num_embeddings=None,
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        embedding_dropout=0.0,
        word_dropout="auto",
        adversarial_eps=0.0,
        pooling="max",
        ensemble_size=2,
        linear_ngrams=2,
        freeze_embedding=False,
        optimizer="adam",
        lr=1e-3,
        max_epochs=10,
        batch_size=32,
        gradient_clip_value=1.0,
        ema_decay=0.0,
        class_weight=None,
        early_stopping=True,
        scoring="loss",
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
        self.word_dropout = word_dropout
        self.adversarial_eps = adversarial_eps
        self.pooling = pooling
        self.ensemble_size = ensemble_size
        self.linear_ngrams = linear_ngrams
        self.freeze_embedding = freeze_embedding
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.gradient_clip_value = gradient_clip_value
        self.ema_decay = ema_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.scoring = scoring
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
        return ClassTargets(self.class_weight)

    classes_ = property(lambda self: self.target_encoder_.classes_)
    class_weight_ = property(lambda self: self.target_encoder_.class_weight_)

    def _resolve_ensemble_size(self, n_tokens):
        if self.ensemble_size == "auto":
            return 2 if n_tokens <= AUTO_ENSEMBLE_TOKENS else 1
        return self.ensemble_size

    def _module_params(self, embedding):
        word_dropout = self.word_dropout
        if word_dropout == "auto":  # measured: helps pretrained vectors, not learned ones
            word_dropout = 0.0 if embedding is None else 0.25
        params = {**super()._module_params(embedding), "word_dropout": word_dropout}
        if self.linear_ngrams and self.num_embeddings_ is not None:  # token input only
            params["linear_ngrams"] = self.linear_ngrams
        return params

    def _fitted_module_params(self, train):
        params = super()._fitted_module_params(train)
        if self.linear_ngrams == 2 and self.num_embeddings_ is not None:
            params["ngram_buckets"] = _ngram_buckets(train.sequences)
        return params

    def _validate_params(self):
        super()._validate_params()
        if self.scoring != "loss" and self.scoring not in get_scorer_names():
            raise ValueError(
                "scoring must be 'loss' or the name of a scikit-learn scorer "
                f"(sklearn.metrics.get_scorer_names()); got {self.scoring!r}."
            )

    def _stopping_metric(self):
        if self.scoring == "loss":
            return super()._stopping_metric()
        if self._multilabel:
            raise ValueError(
                f"scoring={self.scoring!r} scores one label per sample; y is a "
                "multi-label indicator matrix. Use scoring='loss'."
            )
        if self.scoring == "accuracy":  # skorch's classifier records it already
            return "valid_acc", False, None
        name = f"valid_{self.scoring}"
        # Scored on the predictions of the validation pass (skorch caches them):
        # no second pass over the validation data.
        return name, False, EpochScoring(self.scoring, name=name, lower_is_better=False)

    def _net_params(self):
        if self.adversarial_eps and self.num_embeddings_ is None:
            raise ValueError(
                "adversarial_eps perturbs the embedded tokens; the input is numeric "
                "sequences, which have no embedding. Use adversarial_eps=0."
            )
        params = {"adversarial_eps": self.adversarial_eps}
        if not self._multilabel:
            params["classes"] = list(range(len(self.classes_)))
        if self.class_weight_ is not None:
            params["criterion__weight"] = torch.as_tensor(self.class_weight_, dtype=torch.float32)
        return params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more round of ``max_epochs`` epochs on X, y (no validation split).

        The first call fits; ``classes`` must then list every label.
        """
        if not hasattr(self, "net_") and classes is not None:
            missing = set(classes) - set(np.unique(y))
            if missing:
                raise ValueError(
                    f"The first partial_fit needs examples of every class; missing {missing}."
                )
        return self._fit(X, y, sample_weight, warm_start=True)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Multi-label: each label's own probability (a sigmoid; rows need not
        sum to 1), shape (n_samples, n_labels), as ``MLPClassifier`` gives.
        """
        logits = torch.from_numpy(self._outputs(X))
        probabilities = logits.sigmoid() if self._multilabel else logits.softmax(dim=-1)
        return probabilities.numpy().astype(np.float64)
