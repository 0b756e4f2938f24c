"""Seq2SeqEstimator: many-to-many sequence-to-sequence learning as a scikit-learn estimator."""

import numbers

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN
from ._batching import collate_pairs
from ._docs import fill_parameters
from ._nets import Seq2SeqNet, TeacherForcingSchedule
from ._sequences import BOS_ID, EOS_ID, PAD_ID, materialize
from ._targets import TokenTargets
from ._text import check_raw_documents
from .metrics import exact_match_score
from .modules import Seq2SeqModule
from .tokenizer import TextTokenizer

#: Words and single punctuation marks: the default tokens of both sides.
SEQ2SEQ_TOKEN_PATTERN = r"(?u)\w+|[^\w\s]"


@fill_parameters
class Seq2SeqEstimator(BaseRNN):
    """An encoder-decoder recurrent network mapping sequences to sequences.

    ``fit(X, Y)`` learns to produce each target ``Y[i]`` from its source
    ``X[i]``; ``predict(X)`` decodes new sources. Both sides are either raw
    strings, turned into token ids by ``source_tokenizer`` and
    ``target_tokenizer`` (character or word level), or token-id sequences
    (ragged, or 2-D padded with 0). ``predict`` returns strings when the
    targets were strings, id sequences otherwise. The begin and end markers
    (ids 2 and 3) are added and removed for the user.

    The encoder reads the source (bidirectional by default), its final
    states start the decoder, and with ``attention`` each decoder step also
    looks at all source steps. Training feeds the true previous target token
    (teacher forcing) with probability ``teacher_forcing_ratio``; the loss is
    the cross-entropy of the target tokens and the end marker, padding
    ignored. Early stopping holds out ``validation_fraction`` of the pairs.
    Decoding is batched: greedy (``beam_size=1``) or beam search.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    source_tokenizer_, target_tokenizer_ : TextTokenizer
        The fitted tokenizers (for string input).
    input_kind_, target_kind_ : {'text', 'ids'}
        What the sources and the targets given to ``fit`` were.
    num_embeddings_ : int
        Source embedding rows.
    num_target_embeddings_ : int
        Target vocabulary size, reserved ids included.
    max_output_length_ : int
        The output length limit in use.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the :class:`Seq2SeqModule`.
    history_ : skorch.History

    Notes
    -----
    At predict time, source tokens (or ids) never seen in training are read
    as the out-of-vocabulary id; an empty source is an error (an encoder
    needs one step), an empty target is allowed (the model learns to emit the
    end marker at once).

    Examples
    --------
    >>> from sklearn_rnn import Seq2SeqEstimator, TextTokenizer
    >>> words = ["abc", "bca", "cab", "acb", "bac", "cba", "aab", "bba"] * 16
    >>> model = Seq2SeqEstimator(
    ...     source_tokenizer=TextTokenizer(analyzer="char"),
    ...     target_tokenizer=TextTokenizer(analyzer="char"),
    ...     hidden_size=32, embedding_dim=16, lr=1e-2, max_epochs=25,
    ...     early_stopping=False, random_state=0)
    >>> model.fit(words, [w[::-1] for w in words]).predict(["abc", "bba"])
    array(['cba', 'abb'], dtype=object)
    """

    _module = Seq2SeqModule
    _criterion = torch.nn.CrossEntropyLoss
    _net_class = Seq2SeqNet
    _numeric_input = False

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "source_tokenizer": [HasMethods(["fit_transform", "sequences_to_texts"]), None],
        "target_tokenizer": [HasMethods(["fit_transform", "sequences_to_texts"]), None],
        "attention": [StrOptions({"luong", "bahdanau"}), None],
        "teacher_forcing_ratio": [Interval(numbers.Real, 0, 1, closed="both")],
        "teacher_forcing_decay": [Interval(numbers.Real, 0, 1, closed="right")],
        "beam_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "length_penalty": [Interval(numbers.Real, 0, None, closed="left")],
        "max_output_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        source_tokenizer=None,
        target_tokenizer=None,
        cell="lstm",
        embedding_dim=64,
        hidden_size=128,
        num_layers=1,
        bidirectional=True,
        dropout=0.1,
        embedding_dropout=0.0,
        attention="luong",
        freeze_embedding=False,
        teacher_forcing_ratio=1.0,
        teacher_forcing_decay=1.0,
        beam_size=1,
        length_penalty=0.6,
        max_output_length=None,
        optimizer="adam",
        lr=2e-3,
        max_epochs=30,
        batch_size=64,
        gradient_clip_value=1.0,
        ema_decay=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        patience=3,
        warm_start=False,
        bucket_by_length=True,
        device="auto",
        mixed_precision="no",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.attention = attention
        self.freeze_embedding = freeze_embedding
        self.teacher_forcing_ratio = teacher_forcing_ratio
        self.teacher_forcing_decay = teacher_forcing_decay
        self.beam_size = beam_size
        self.length_penalty = length_penalty
        self.max_output_length = max_output_length
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

    # -- sources and targets -----------------------------------------------------

    def _tokenizer(self, tokenizer):
        return clone(tokenizer or TextTokenizer(token_pattern=SEQ2SEQ_TOKEN_PATTERN))

    def _text_to_ids(self, X, *, reset):
        if reset:
            self.source_tokenizer_ = self._tokenizer(self.source_tokenizer)
            return self.source_tokenizer_.fit_transform(check_raw_documents(X))
        if self.input_kind_ != "text":
            raise TypeError("The model was fitted on token-id sources; got strings.")
        return self.source_tokenizer_.transform(check_raw_documents(X))

    @property
    def source_kind_(self):
        """What the sources given to ``fit`` were: ``'text'`` or ``'ids'``."""
        return self.input_kind_

    def _target_encoder(self):
        return TokenTargets(self._tokenizer(self.target_tokenizer), self.max_output_length)

    target_kind_ = property(lambda self: self.target_encoder_.kind_)
    target_tokenizer_ = property(lambda self: self.target_encoder_.tokenizer_)
    max_output_length_ = property(lambda self: self.target_encoder_.max_output_length_)
    num_target_embeddings_ = property(lambda self: self.target_encoder_.n_tokens_)

    def tokenize_targets(self, Y):
        """Each target as its list of tokens, as the model sees them: what the metrics compare.

        String targets go through the fitted target tokenizer's analysis
        (lowercasing, token pattern) but keep their words even when they are
        out of the vocabulary; id targets become lists of ints.
        """
        check_is_fitted(self, "net_")
        return self.target_encoder_.tokens(Y)

    # -- fitting -----------------------------------------------------------------

    def _collate(self):
        return collate_pairs

    def _training_callbacks(self):
        schedule = TeacherForcingSchedule(self.teacher_forcing_ratio, self.teacher_forcing_decay)
        return [("teacher_forcing", schedule)]

    def _module_params(self, embedding):
        return {
            **self._encoder_params(),
            "num_source_embeddings": self.num_embeddings_,
            "source_embedding_weights": None if embedding is None else torch.tensor(embedding),
            "num_target_embeddings": self.target_encoder_.n_tokens_,
            "attention": self.attention,
            "teacher_forcing_ratio": self.teacher_forcing_ratio,
        }

    def _net_params(self):
        return {"criterion__ignore_index": PAD_ID}

    def fit(self, X, Y):
        """Learn to map each source sequence ``X[i]`` to its target ``Y[i]``.

        Parameters
        ----------
        X : list of str, or token-id sequences
            Sources.
        Y : list of str, or token-id sequences
            Targets, as many as sources.

        Returns
        -------
        self : Seq2SeqEstimator
        """
        return self._fit(*_check_pairs(X, Y), warm_start=self.warm_start)

    def partial_fit(self, X, Y):
        """Train ``max_epochs`` more epochs on X, Y (no validation split); the first call fits."""
        return self._fit(*_check_pairs(X, Y), warm_start=True)

    # -- decoding ----------------------------------------------------------------

    def _decode_ids(self, X):
        """Decoded token-id rows (each ends at its end marker, then padding), log-probabilities."""
        seqs, _ = self._validate_data(X, reset=False)
        kwargs = dict(max_length=self.max_output_length_, bos=BOS_ID, eos=EOS_ID)
        if self.beam_size == 1:
            return self._forward(seqs, "greedy", **kwargs)
        kwargs.update(beam_size=self.beam_size, length_penalty=self.length_penalty)
        return self._forward(seqs, "beam_search", **kwargs)

    def predict(self, X):
        """Decode each source: strings if the model was fitted on string targets, else ids.

        Returns
        -------
        Y : ndarray of object, shape (n_samples,)
            Strings (tokens joined by a space, or by nothing for characters)
            or 1-D int64 id arrays, without begin/end markers.
        """
        tokens, _ = self._decode_ids(X)
        return self.target_encoder_.inverse_transform(tokens)

    def predict_tokens(self, X):
        """Decode each source to its list of tokens (str for string targets, else int ids)."""
        tokens, _ = self._decode_ids(X)
        return self.target_encoder_.inverse_tokens(tokens)

    def log_likelihood(self, X, Y):
        """Log-probability of each target ``Y[i]`` given ``X[i]`` (its end marker included).

        Target tokens outside the training vocabulary count as out-of-vocabulary.
        """
        X, Y = _check_pairs(X, Y)
        seqs, _ = self._validate_data(X, reset=False)
        targets = self.target_encoder_.transform(Y)
        logp = self._forward(seqs, "log_likelihood", targets, y_as="target_out")[0]
        return logp.astype(np.float64)

    def score(self, X, Y):
        """Exact-match accuracy: the share of sources whose decoded tokens equal the target's."""
        return exact_match_score(self.tokenize_targets(Y), self.predict_tokens(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = True
        return tags


def _check_pairs(X, Y):
    """X and Y materialized (generators read once), checked to hold as many items."""
    if Y is None:
        raise ValueError("Seq2SeqEstimator requires targets Y; got None.")
    out = []
    for name, data in (("X", X), ("Y", Y)):
        if isinstance(data, (str, bytes)):
            raise TypeError(
                f"{name} must be a collection of sequences or strings, not a single string."
            )
        data = materialize(data)
        if not hasattr(data, "__len__"):
            raise TypeError(
                f"{name} must be a collection of sequences or strings; got {type(data).__name__}."
            )
        out.append(data)
    if len(out[0]) != len(out[1]):
        raise ValueError(f"X holds {len(out[0])} sources but Y holds {len(out[1])} targets.")
    return out
