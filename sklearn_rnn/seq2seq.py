"""Seq2SeqEstimator: many-to-many sequence-to-sequence learning as a scikit-learn estimator."""

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback

from ._base import BaseRNN, DevicePathMixin, SequenceDataset, by_length, collate_pairs
from ._sequences import (
    BOS_ID,
    EOS_ID,
    N_RESERVED,
    OOV_ID,
    PAD_ID,
    TokenSequences,
    as_ragged,
    check_id_sequences,
    materialize,
    pad_sequences,
)
from ._text import check_raw_documents
from .metrics import exact_match_score
from .modules import Seq2SeqModule
from .tokenizer import TextTokenizer

#: Words and single punctuation marks: the default tokens of both sides.
SEQ2SEQ_TOKEN_PATTERN = r"(?u)\w+|[^\w\s]"


class Seq2SeqNet(DevicePathMixin, NeuralNet):
    """skorch's NeuralNet with the loss averaged over the real target tokens of a batch."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(y_pred.device)
        losses = self.criterion_(y_pred.transpose(1, 2), y_true)  # (batch, steps)
        return losses.sum() / (y_true != PAD_ID).sum().clamp_min(1)


class TeacherForcingSchedule(Callback):
    """Set the teacher-forcing ratio at each epoch: ``ratio * decay ** epoch``; record it."""

    def __init__(self, ratio=1.0, decay=1.0):
        self.ratio = ratio
        self.decay = decay

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1  # the net has opened this epoch's row already
        ratio = self.ratio * self.decay**epoch
        net.module_.teacher_forcing_ratio = ratio
        net.history.record("teacher_forcing_ratio", ratio)


def _is_text_batch(X):
    if isinstance(X, (str, bytes)):
        return True
    if isinstance(X, TokenSequences):
        return False
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X.dtype.kind in "US"
    if hasattr(X, "iloc"):
        X = X.to_numpy().ravel() if X.ndim == 2 and X.shape[1] == 1 else X.to_numpy()
    first = next(iter(X), None)
    return isinstance(first, (str, bytes))


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
    (teacher forcing) with probability ``teacher_forcing_ratio``, decayed per
    epoch by ``teacher_forcing_decay``; the loss is the cross-entropy of the
    target tokens and the end marker, padding ignored. Early stopping holds
    out ``validation_fraction`` of the pairs, as in :class:`RNNClassifier`.
    Decoding is batched: greedy (``beam_size=1``) or beam search.

    Parameters
    ----------
    source_tokenizer, target_tokenizer : TextTokenizer or None, default=None
        How string sources and targets become ids; cloned and fitted in
        ``fit``. None is a word-level ``TextTokenizer`` keeping punctuation
        marks as tokens (``token_pattern=r"(?u)\\w+|[^\\w\\s]"``); use
        ``TextTokenizer(analyzer='char')`` for characters. Unused for id input.
    cell : {'lstm', 'gru', 'rnn'}, default='lstm'
        Cell of both encoder and decoder.
    embedding_dim : int, default=64
        Width of the source and target embeddings.
    hidden_size : int, default=128
        Units per layer (and per direction in the encoder).
    num_layers : int, default=1
        Stacked layers in the encoder and in the decoder.
    bidirectional : bool, default=True
        Bidirectional encoder.
    dropout : float, default=0.1
        Dropout between stacked layers and before the output layer.
    embedding_dropout : float, default=0.0
        Dropout on both embeddings.
    attention : {'luong', 'bahdanau'} or None, default='luong'
        Luong's bilinear ("general") or Bahdanau's additive attention; None
        gives the plain encoder-decoder, which must squeeze the whole source
        into the decoder's initial state.
    freeze_embedding : bool, default=False
        Keep a pretrained source embedding fixed.
    teacher_forcing_ratio : float, default=1.0
        Probability, per target token in training, of feeding the true
        previous token rather than the model's own prediction. Below 1 the
        decoder runs step by step (slower).
    teacher_forcing_decay : float, default=1.0
        The ratio at epoch ``e`` (from 0) is
        ``teacher_forcing_ratio * teacher_forcing_decay ** e``; recorded in
        ``history_`` as ``teacher_forcing_ratio``.
    beam_size : int, default=1
        1 decodes greedily; more runs a beam search of that width.
    length_penalty : float, default=0.6
        Beam hypotheses are ranked by log-probability divided by
        ``((5 + length) / 6) ** length_penalty`` (Wu et al. 2016); 0 ranks by
        log-probability alone, which favours short outputs.
    max_output_length : int or None, default=None
        Longest output, in tokens. None is twice the longest training target,
        plus 5. A training target longer than ``max_output_length`` is an
        error (nothing is cut silently); an output that reaches it without an
        end marker is returned as it is, with a warning.
    optimizer, lr, max_epochs, batch_size, gradient_clip_value, early_stopping, \
validation_fraction, patience, warm_start, bucket_by_length, device, mixed_precision, \
random_state, verbose, callbacks :
        As in :class:`RNNClassifier` (defaults: Adam, ``lr=2e-3``,
        ``max_epochs=30``, ``batch_size=64``, ``patience=3``). Batches are
        bucketed by source length.

    Attributes
    ----------
    source_tokenizer_, target_tokenizer_ : TextTokenizer
        The fitted tokenizers (for string input).
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

    _parameter_constraints = {
        **{k: v for k, v in BaseRNN._parameter_constraints.items() if k != "pooling"},
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

    # -- input -------------------------------------------------------------------

    @staticmethod
    def _default_tokenizer():
        return TextTokenizer(token_pattern=SEQ2SEQ_TOKEN_PATTERN)

    def _source_ids(self, X, *, fitting):
        """Sources as id sequences (tokenizing strings) and the embedding matrix, if any."""
        X = materialize(X)
        if fitting:
            self.source_kind_ = "text" if _is_text_batch(X) else "ids"
            if self.source_kind_ == "text":
                tokenizer = self.source_tokenizer or self._default_tokenizer()
                self.source_tokenizer_ = clone(tokenizer)
                X = self.source_tokenizer_.fit_transform(check_raw_documents(X))
        elif self.source_kind_ == "text":
            X = self.source_tokenizer_.transform(check_raw_documents(X))
        elif _is_text_batch(X):
            raise TypeError("The model was fitted on token-id sources; got strings.")
        return self._sequences(X, fitting=fitting)

    def _target_ids(self, Y, *, fitting):
        """Targets as ragged id sequences without markers (strings go through the tokenizer)."""
        Y = materialize(Y)
        if fitting:
            self.target_kind_ = "text" if _is_text_batch(Y) else "ids"
        if self.target_kind_ == "text":
            docs = check_raw_documents(Y)
            if fitting:
                tokenizer = self.target_tokenizer or self._default_tokenizer()
                # The estimator adds the begin/end markers itself.
                self.target_tokenizer_ = clone(tokenizer).set_params(add_markers=False)
                return self.target_tokenizer_.fit_transform(docs)
            return self.target_tokenizer_.transform(docs)
        if _is_text_batch(Y):
            raise TypeError("The model was fitted on token-id targets; got strings.")
        targets = check_id_sequences(Y)  # a padded 2-D array loses its padding (0) here
        if not (isinstance(Y, np.ndarray) and Y.ndim == 2 and Y.dtype != object):
            for i, t in enumerate(targets):
                if (t == PAD_ID).any():
                    raise ValueError(
                        f"Target {i} holds the padding id 0 inside a ragged sequence; "
                        "ragged targets hold real tokens only."
                    )
        for i, t in enumerate(targets):
            reserved = t[(t == BOS_ID) | (t == EOS_ID)]
            if len(reserved):
                raise ValueError(
                    f"Target {i} holds the reserved id {reserved[0]} (2 begins and 3 ends a "
                    "sequence; the estimator adds them): number real target tokens from "
                    f"{N_RESERVED}."
                )
        return targets

    def _known_target_ids(self, Y):
        """Targets for the loss or the likelihood: ids never seen in training read as OOV."""
        targets = self._target_ids(Y, fitting=False)
        return as_ragged([np.where(t < self.num_target_embeddings_, t, OOV_ID) for t in targets])

    def tokenize_targets(self, Y):
        """Each target as its list of tokens, as the model sees them: what the metrics compare.

        String targets go through the fitted target tokenizer's analysis
        (lowercasing, token pattern) but keep their words even when they are
        out of the vocabulary; id targets become lists of ints.
        """
        check_is_fitted(self, "net_")
        if self.target_kind_ == "text":
            analyze = self.target_tokenizer_._build_text_analyzer()
            return [list(analyze(doc)) for doc in check_raw_documents(materialize(Y))]
        return [t.tolist() for t in self._target_ids(Y, fitting=False)]

    # -- fitting -----------------------------------------------------------------

    def _collate(self):
        return collate_pairs

    def _training_callbacks(self):
        schedule = TeacherForcingSchedule(self.teacher_forcing_ratio, self.teacher_forcing_decay)
        return [("teacher_forcing", schedule)]

    def _module_params(self, embedding_weights):
        params = self._encoder_params(embedding_weights)
        del params["input_size"], params["pooling"]  # ids in, last states out
        params["num_source_embeddings"] = params.pop("num_embeddings")
        params["source_embedding_weights"] = params.pop("embedding_weights")
        return {
            **params,
            "num_target_embeddings": self.num_target_embeddings_,
            "attention": self.attention,
            "teacher_forcing_ratio": self.teacher_forcing_ratio,
        }

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
        if self.warm_start and hasattr(self, "net_"):
            return self.partial_fit(X, Y)
        self._validate_params()
        if Y is None:
            raise ValueError("Seq2SeqEstimator requires targets Y; got None.")
        X, Y = _check_pairs(X, Y)
        seqs, weights = self._source_ids(X, fitting=True)
        targets = self._target_ids(Y, fitting=True)
        longest = max(len(t) for t in targets)
        if self.max_output_length is not None:
            too_long = [i for i, t in enumerate(targets) if len(t) + 1 > self.max_output_length]
            if too_long:
                i = too_long[0]
                raise ValueError(
                    f"{len(too_long)} target(s) are longer than max_output_length="
                    f"{self.max_output_length} tokens with the end marker (first: target {i}, "
                    f"{len(targets[i])} tokens + 1). Raise max_output_length, or shorten or "
                    "drop those pairs yourself."
                )
            self.max_output_length_ = self.max_output_length
        else:
            self.max_output_length_ = 2 * (longest + 1) + 5
        max_id = max((int(t.max()) for t in targets if len(t)), default=EOS_ID)
        if self.target_kind_ == "text":
            self.num_target_embeddings_ = self.target_tokenizer_.vocabulary_size_
        else:
            self.num_target_embeddings_ = max(max_id, EOS_ID) + 1
        return self._fit_net(
            seqs,
            weights,
            targets,
            np.ones(len(seqs), dtype=np.float32),
            net_class=Seq2SeqNet,
            module=Seq2SeqModule,
            module_params={},
            criterion=torch.nn.CrossEntropyLoss,
            criterion_params={"ignore_index": PAD_ID},
            net_params={},
        )

    def partial_fit(self, X, Y):
        """Train ``max_epochs`` more epochs on X, Y (no validation split); the first call fits."""
        if not hasattr(self, "net_"):
            return self.fit(X, Y)
        X, Y = _check_pairs(X, Y)
        seqs, _ = self._source_ids(X, fitting=False)
        targets = self._known_target_ids(Y)
        self.net_.partial_fit(SequenceDataset(seqs, targets), y=None)
        return self

    # -- decoding ----------------------------------------------------------------

    def _decode_ids(self, X):
        """Decoded id sequences (no markers) in the input order, and their log-probabilities."""
        check_is_fitted(self, "net_")
        seqs, _ = self._source_ids(X, fitting=False)
        order, restore = by_length(seqs, enabled=self.bucket_by_length)
        net = self.net_
        module = net.module_
        module.eval()
        outputs, scores, unfinished = [], [], 0
        with torch.no_grad(), net.autocast():
            for start in range(0, len(seqs), self.batch_size):
                batch = [seqs[i] for i in order[start : start + self.batch_size]]
                source = torch.from_numpy(pad_sequences(batch, padding="post", dtype=np.int64))
                lengths = torch.tensor([len(s) for s in batch], dtype=torch.int64)
                source, lengths = net.move((source, lengths))
                kwargs = dict(max_length=self.max_output_length_, bos=BOS_ID, eos=EOS_ID)
                if self.beam_size > 1:
                    tokens, logp = module.beam_search(
                        source,
                        lengths,
                        beam_size=self.beam_size,
                        length_penalty=self.length_penalty,
                        **kwargs,
                    )
                else:
                    tokens, logp = module.greedy(source, lengths, **kwargs)
                for row in tokens.cpu().numpy():
                    end = np.flatnonzero(row == EOS_ID)
                    if len(end):
                        row = row[: end[0]]
                    else:
                        unfinished += 1
                    outputs.append(row[row != PAD_ID].astype(np.int64))
                scores.append(logp.float().cpu().numpy())
        if unfinished:
            warnings.warn(
                f"{unfinished} of {len(seqs)} outputs reached max_output_length="
                f"{self.max_output_length_} without an end marker; they are returned cut "
                "there.",
                UserWarning,
                stacklevel=3,
            )
        outputs = as_ragged(outputs)[restore]
        return outputs, np.concatenate(scores)[restore].astype(np.float64)

    def predict(self, X):
        """Decode each source: strings if the model was fitted on string targets, else ids.

        Returns
        -------
        Y : ndarray of object, shape (n_samples,)
            Strings (tokens joined by a space, or by nothing for characters)
            or 1-D int64 id arrays, without begin/end markers.
        """
        ids, _ = self._decode_ids(X)
        if self.target_kind_ == "text":
            return np.array(self.target_tokenizer_.sequences_to_texts(ids), dtype=object)
        return ids

    def predict_tokens(self, X):
        """Decode each source to its list of tokens (str for string targets, else int ids)."""
        ids, _ = self._decode_ids(X)
        if self.target_kind_ == "text":
            return self.target_tokenizer_.inverse_transform(ids)
        return [row.tolist() for row in ids]

    def log_likelihood(self, X, Y):
        """Log-probability of each target ``Y[i]`` given ``X[i]`` (its end marker included).

        Target tokens outside the training vocabulary count as out-of-vocabulary.
        """
        check_is_fitted(self, "net_")
        X, Y = _check_pairs(X, Y)
        seqs, _ = self._source_ids(X, fitting=False)
        targets = self._known_target_ids(Y)
        net = self.net_
        module = net.module_
        module.eval()
        out = []
        with torch.no_grad(), net.autocast():
            for start in range(0, len(seqs), self.batch_size):
                items = [
                    (seqs[i], targets[i], 1.0)
                    for i in range(start, min(start + self.batch_size, len(seqs)))
                ]
                batch, target_out = net.move(collate_pairs(items))
                out.append(
                    module.log_likelihood(
                        batch["source"],
                        batch["source_lengths"],
                        batch["target_in"],
                        target_out,
                    )
                    .float()
                    .cpu()
                    .numpy()
                )
        return np.concatenate(out).astype(np.float64)

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
    sizes = []
    out = []
    for name, data in (("X", X), ("Y", Y)):
        if isinstance(data, (str, bytes)):
            raise TypeError(
                f"{name} must be a collection of sequences or strings, not a single string."
            )
        data = materialize(data)
        try:
            sizes.append(len(data))
        except TypeError:
            raise TypeError(
                f"{name} must be a collection of sequences or strings; got {type(data).__name__}."
            ) from None
        out.append(data)
    if sizes[0] != sizes[1]:
        raise ValueError(f"X holds {sizes[0]} sources but Y holds {sizes[1]} targets.")
    return out
