"""RNNTagger: one label per step (part-of-speech tags, entities, per-step labels of a series)."""

import numbers
import zlib
from collections import Counter
from functools import lru_cache, partial

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN
from ._batching import SequenceDataset as _SequenceDataset
from ._batching import by_length, collate_tagged
from ._docs import fill_parameters
from ._nets import TaggerNet
from ._sequences import (
    BOS_ID,
    EOS_ID,
    N_RESERVED,
    OOV_ID,
    as_ragged,
    materialize,
    sequence_lengths,
)
from ._targets import TagTargets
from ._vectors import align_vectors, load_word_vectors
from .metrics import tag_accuracy_score
from .modules import TaggerEnsembleModule, TaggerModule


def _is_word_sequences(X):
    """Whether X is a batch of word sequences (each a sequence of strings)."""
    if isinstance(X, (str, bytes)) or (isinstance(X, np.ndarray) and X.dtype != object):
        return False
    for seq in X:
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
            return False
        first = next(iter(seq), None)
        if first is not None:
            return isinstance(first, str)
    return len(X) > 0  # only empty sequences: words, the tagger's own kind


def _check_word_sequences(X):
    sentences = []
    for i, seq in enumerate(X):
        if isinstance(seq, str):
            raise TypeError(
                f"Sequence {i} is a string; RNNTagger reads sequences of words, e.g. "
                "[['The', 'cat', 'sat'], ...]: split each sentence into its tokens first."
            )
        words = list(seq)
        for j, w in enumerate(words):
            if not isinstance(w, str):
                raise TypeError(
                    f"Sequence {i} holds {type(w).__name__} {w!r} at step {j}; a word "
                    "sequence holds strings only."
                )
            if not w:
                raise ValueError(f"Sequence {i} holds an empty word at step {j}.")
        sentences.append(words)
    if not sentences:
        raise ValueError("Expected at least one sequence; got an empty batch.")
    return sentences


N_AFFIXES = 7


def _shape(word):
    """The word's shape: letters as X or x, digits as d, runs cut at four ('Xxxxx', 'dd.dd')."""
    out = []
    for c in word:
        k = "X" if c.isupper() else "x" if c.isalpha() else "d" if c.isdigit() else c
        if out[-4:] != [k] * 4:
            out.append(k)
    return "".join(out)


def _affixes(word):
    """A word's ``N_AFFIXES`` features: lowercase prefixes and suffixes of 1-3 letters, shape."""
    low = word.lower()
    return (
        *(f"p{n}:{low[:n]}" for n in (1, 2, 3)),
        *(f"s{n}:{low[-n:]}" for n in (1, 2, 3)),
        f"shape:{_shape(word)}",
    )


#: The casing classes of a word (:func:`_casing`): how its letters are cased,
#: times whether it holds digits; ids 1 to ``N_CASINGS`` (0 pads).
_LETTER_CASES = ("none", "lower", "upper", "title", "mixed")
_DIGITS = ("none", "some", "most")
N_CASINGS = len(_LETTER_CASES) * len(_DIGITS)


def _casing(word):
    """A word's casing class id, 1 to ``N_CASINGS``: letter case times digit share.

    The letters are all lowercase (``'cat'``), all uppercase (``'NATO'``,
    ``'E17'``), an uppercase first letter and lowercase others (``'Paris'``)
    or otherwise mixed (``'iPhone'``, ``'McDonald'``), or there are none; the
    digits are none, some (``'3rd'``, ``'01-feb-02'``), or at least half of
    the characters (``'E17'``, ``'1999'``).
    The casing embedding of Reimers & Gurevych (2017), with case and digits
    as two factors.
    """
    letters = [c for c in word if c.isalpha()]
    if not letters:
        case = "none"
    elif word.islower():
        case = "lower"
    elif word.isupper():
        case = "upper"
    elif letters[0].isupper() and "".join(letters[1:]).islower():
        case = "title"
    else:
        case = "mixed"
    n = sum(c.isdigit() for c in word)
    digits = "none" if not n else "most" if 2 * n >= len(word) else "some"
    return 1 + _LETTER_CASES.index(case) * len(_DIGITS) + _DIGITS.index(digits)


#: Features per word of the linear path (:func:`_linear_features`), at most.
N_LINEAR = 12
#: Its id columns per step: the word's features, and its neighbours' as such.
LINEAR_COLUMNS = 3 * N_LINEAR


def _linear_features(word):
    """The features of a word that ``linear_features`` reads: the CRF baseline's.

    Its lowercase form, its first and last 1-3 characters (case kept), and
    whether it is capitalised, all uppercase, all digits, holds a digit, holds
    a hyphen (the word features of sklearn-crfsuite's tutorial, with
    prefixes; ``benchmarks/bench_tagging.py``'s CRF reads the same).
    """
    flags = (
        ("title", word.istitle()),
        ("upper", word.isupper()),
        ("digit", word.isdigit()),
        ("hasdigit", any(c.isdigit() for c in word)),
        ("hyphen", "-" in word),
    )
    return (
        f"w:{word.lower()}",
        *(f"s{n}:{word[-n:]}" for n in (1, 2, 3)),
        *(f"p{n}:{word[:n]}" for n in (1, 2, 3)),
        *(name for name, on in flags if on),
    )


@lru_cache(maxsize=2**16)
def _linear_hashes(word):
    """A word's feature hashes (3, ``N_LINEAR``), as the previous word, itself and the next.

    CRC-32 (the same in every process, unlike ``hash``); -1 where the word
    has fewer features (a flag that is off). Cached: read-only.
    """
    out = np.full((3, N_LINEAR), -1, dtype=np.int64)
    features = _linear_features(word)
    for row, where in enumerate(("-1", "0", "+1")):
        out[row, : len(features)] = [zlib.crc32(f"{where}|{f}".encode()) for f in features]
    out.flags.writeable = False
    return out


def _edge_hashes(marker):
    out = np.full(N_LINEAR, -1, dtype=np.int64)
    out[0] = zlib.crc32(marker.encode())
    return out


#: The previous word of the first word, and the next of the last (the CRF's BOS, EOS).
_BOS_HASHES, _EOS_HASHES = _edge_hashes("BOS"), _edge_hashes("EOS")


def _linear_ids(words, index=None, buckets=None):
    """The linear path's ids of a sentence (steps, ``LINEAR_COLUMNS``): table rows, 0 off.

    ``index``: the sorted feature hashes the table has rows for
    (:func:`_linear_index`); feature ``index[i]`` reads row ``i + 1``, a
    feature not in it none. ``buckets`` instead: the hashes folded into
    ``buckets - 1`` rows by their remainder, as taggers fitted before the
    index (stop 60) read them.
    """
    h = np.stack([_linear_hashes(w) for w in words])
    columns = np.concatenate(
        [
            np.vstack([_BOS_HASHES[None], h[:-1, 0]]),
            h[:, 1],
            np.vstack([h[1:, 2], _EOS_HASHES[None]]),
        ],
        axis=1,
    )
    if index is None:
        return np.where(columns >= 0, columns % (buckets - 1) + 1, 0)
    rows = np.searchsorted(index, columns)
    found = index[np.minimum(rows, len(index) - 1)] == columns  # -1 (off) is never found
    return np.where(found, rows + 1, 0)


def _linear_index(words, high=2**20):
    """The hashes of ``words``' features, sorted: the linear path's table has a row for each.

    The features of each word as itself and as a neighbour, and the
    sentence-edge markers. One row per feature, so that no two features share
    a row (hashed into a table twice their number, 27.8% of EWT's had) and a
    feature training never saw reads no row at all, where a hashed one read
    whatever features shared its row had learned. At most ``high - 1``: beyond
    that, the features the most word types share.
    """
    hashes = np.concatenate(
        [_linear_hashes(w).ravel() for w in words] + [_BOS_HASHES[:1], _EOS_HASHES[:1]]
    )
    hashes, counts = np.unique(hashes[hashes >= 0], return_counts=True)
    if len(hashes) > high - 1:
        hashes = np.sort(hashes[np.argsort(-counts, kind="stable")[: high - 1]])
    return hashes


def _vocabulary(counts):
    """Tokens numbered after the reserved ids, most frequent first, ties in sorted order."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {token: N_RESERVED + i for i, (token, _) in enumerate(ranked)}


def _id_columns(sequence):
    """An encoded word sequence as (steps, id columns): word ids alone are one column."""
    return sequence if sequence.ndim == 2 else sequence[:, None]


@fill_parameters
class RNNTagger(BaseRNN):
    """A bidirectional recurrent network giving one label per step of each sequence.

    Part-of-speech tagging, named entities, chunking: ``X`` is a collection of
    word sequences (``[['The', 'cat', 'sat'], ...]``, ragged) and ``y`` the
    matching label sequences (``[['DET', 'NOUN', 'VERB'], ...]``, any
    hashable labels), one label per word. The tagger owns its vocabularies:
    each word is read as a learned embedding of its lowercased form (or a
    pretrained vector, ``vectors``) beside a character-level vector of its
    spelling (:class:`~sklearn_rnn.modules.CharEncoderModule`), so words never
    seen in training still get tags from their shape and context; beside the
    network, a linear path from each word's and its neighbours' hand-made
    features (a CRF's) adds its scores (``linear_features``). Token-id
    sequences (no character features) and numeric sequences (a 3-D float
    array or ragged 2-D float arrays: per-step labels of a series) work too.

    The loss is the cross-entropy of every labelled step (padding is
    masked); training is skorch's with early stopping on a random
    validation split of the sequences, as in the other estimators.
    ``predict`` returns a label array per sequence, of its length.

    Parameters
    ----------
    $parameters

    Attributes
    ----------
    classes_ : ndarray
        The labels, sorted.
    vocabulary_ : dict of str to int or None
        Word (lowercased with ``lowercase``) to id, for word input: the words
        of the sentences trained on, and with ``vectors`` the words with a
        pretrained vector. A word only the early-stopping sentences hold is
        not in it: like a word never seen, it reads the out-of-vocabulary row.
    char_vocabulary_ : dict of str to int or None
        Character to id, for word input with character features (those of
        the sentences trained on).
    affix_vocabulary_ : dict of str to int or None
        Affix or shape feature (``'s3:ing'``, ``'shape:Xxxxx'``) to id, for
        word input with ``affix_embedding_dim``.
    linear_index_ : ndarray of int64 or None
        The linear path's features, for word input with ``linear_features``:
        the sorted hashes of the features of the words given to ``fit`` (each
        word's and its neighbours', at most 2**20 - 1). Feature
        ``linear_index_[i]`` reads row ``i + 1`` of the path's table; a
        feature not in it, such as the lowercase form of a word never seen,
        reads none.
    linear_buckets_ : int or None
        Rows of the linear path's table: ``len(linear_index_) + 1`` (row 0
        reads as no feature).
    vectors_found_ : float or None
        With ``vectors``: share of the training vocabulary with a pretrained vector.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the PyTorch model.
    history_ : skorch.History
        Per-epoch training history (losses, validation scores, durations).

    Examples
    --------
    >>> from sklearn_rnn import RNNTagger
    >>> X = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"]] * 20
    >>> y = [["DET", "NOUN", "VERB"]] * 60
    >>> tagger = RNNTagger(max_epochs=20, early_stopping=False, random_state=0).fit(X, y)
    >>> tagger.predict([["a", "dog", "sleeps"]])[0]
    array(['DET', 'NOUN', 'VERB'], dtype='<U4')
    """

    _criterion = torch.nn.CrossEntropyLoss
    _net_class = TaggerNet
    _target_noun = "label sequences"
    # An empty sequence has no step to label: its prediction is an empty array.
    _reads_empty_sequences = True

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "word_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "char_embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "char_size": [Interval(numbers.Integral, 0, None, closed="left")],
        "char_encoder": [StrOptions({"cnn", "lstm"})],
        "affix_embedding_dim": [Interval(numbers.Integral, 0, None, closed="left")],
        "casing_embedding_dim": [Interval(numbers.Integral, 0, None, closed="left")],
        "linear_features": ["boolean"],
        "lowercase": ["boolean"],
        "vectors": [str, "array-like", object, None],
        "adversarial_eps": [Interval(numbers.Real, 0, None, closed="left")],
        "crf": ["boolean"],
        "ensemble_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    @property
    def _module(self):
        # getattr: a tagger pickled before ensembles has no ensemble_size.
        return TaggerEnsembleModule if getattr(self, "ensemble_size", 1) > 1 else TaggerModule

    def __init__(
        self,
        *,
        cell="lstm",
        embedding_dim=100,
        hidden_size=128,
        num_layers=2,
        bidirectional=True,
        crf=False,
        ensemble_size=1,
        dropout=0.5,
        embedding_dropout=0.5,
        word_dropout=0.5,
        char_embedding_dim=30,
        char_size=100,
        char_encoder="cnn",
        affix_embedding_dim=0,
        casing_embedding_dim=0,
        linear_features=True,
        lowercase=True,
        vectors=None,
        freeze_embedding=False,
        adversarial_eps=0.0,
        optimizer="adam",
        lr=2e-3,
        max_epochs=40,
        batch_size=32,
        gradient_clip_value=5.0,
        ema_decay=0.998,
        early_stopping=True,
        validation_fraction=0.1,
        patience=5,
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
        self.bidirectional = bidirectional
        self.crf = crf
        self.ensemble_size = ensemble_size
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.word_dropout = word_dropout
        self.char_embedding_dim = char_embedding_dim
        self.char_size = char_size
        self.char_encoder = char_encoder
        self.affix_embedding_dim = affix_embedding_dim
        self.casing_embedding_dim = casing_embedding_dim
        self.linear_features = linear_features
        self.lowercase = lowercase
        self.vectors = vectors
        self.freeze_embedding = freeze_embedding
        self.adversarial_eps = adversarial_eps
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
        return TagTargets()

    classes_ = property(lambda self: self.target_encoder_.classes_)

    def _collate(self):
        return partial(collate_tagged, numeric=self.input_kind_ == "numeric")

    def _module_params(self, embedding):
        size = getattr(self, "ensemble_size", 1)  # as in _module
        if size > 1 and self.crf:
            raise ValueError(
                "crf=True with ensemble_size > 1: an ensemble of taggers averages its "
                "members' per-step scores and has no CRF layer. Set crf=False or "
                "ensemble_size=1."
            )
        ensemble = {"ensemble_size": size} if size > 1 else {}
        return {
            **ensemble,
            "n_tags": self.target_encoder_.n_outputs_,
            "num_embeddings": self.num_embeddings_,
            "input_size": getattr(self, "n_features_in_", None)
            if self.num_embeddings_ is None
            else None,
            "embedding_dim": self.embedding_dim,
            "embedding_weights": None if embedding is None else torch.tensor(np.asarray(embedding)),
            "freeze_embedding": self.freeze_embedding,
            "trainable_words": self._trainable_words,
            "num_chars": self._num_chars(),
            "char_embedding_dim": self.char_embedding_dim,
            "char_size": self.char_size,
            "char_encoder": self.char_encoder,
            "num_affixes": self._num_affixes(),
            "affix_embedding_dim": self.affix_embedding_dim,
            "affix_features": N_AFFIXES,
            "num_casings": self._num_casings(),
            "casing_embedding_dim": self.casing_embedding_dim,
            "linear_buckets": self._linear_buckets(),
            "linear_columns": LINEAR_COLUMNS,
            "word_dropout": self.word_dropout if self.num_embeddings_ is not None else 0.0,
            "embedding_dropout": self.embedding_dropout,
            "dropout": self.dropout,
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "crf": self.crf,
        }

    def _net_params(self):
        if self.adversarial_eps and self.num_embeddings_ is None:
            raise ValueError(
                "adversarial_eps perturbs the vectors of words or token ids; the input "
                "is numeric sequences. Use adversarial_eps=0."
            )
        return {"adversarial_eps": self.adversarial_eps}

    def _num_affixes(self):
        affixes = getattr(self, "affix_vocabulary_", None)
        if affixes is None or not self.affix_embedding_dim:
            return None
        # Ids, not the count: the features only early-stopping sentences hold
        # leave the vocabulary (see _held_out) but keep their ids' rows.
        return max(affixes.values(), default=N_RESERVED - 1) + 1

    def _num_casings(self):
        # Non-word input with casing_embedding_dim is refused in _validate_data.
        return 1 + N_CASINGS if self.casing_embedding_dim else None

    def _linear_buckets(self):
        # getattr: a tagger pickled before the linear path has none.
        return getattr(self, "linear_buckets_", None)

    def _feature_columns(self):
        """The id columns between the word id and the characters: linear path, affixes, casing."""
        n_linear = 0 if self._linear_buckets() is None else LINEAR_COLUMNS
        n_affixes = 0 if getattr(self, "affix_vocabulary_", None) is None else N_AFFIXES
        # getattr: a tagger pickled before the casing feature has none.
        return n_linear, n_affixes, int(bool(getattr(self, "casing_embedding_dim", 0)))

    def _num_chars(self):
        chars = getattr(self, "char_vocabulary_", None)
        if not chars or not self.char_size:
            return None
        return max(chars.values()) + 1  # ids, as _num_affixes

    # -- input -------------------------------------------------------------------

    def _validate_data(self, X, *, reset, training=False):
        """Word sequences are encoded with the tagger's own vocabularies; the rest as usual."""
        if not reset:
            check_is_fitted(self, "net_")
        X = materialize(X)
        if not _is_word_sequences(X):
            if not reset and self.input_kind_ == "words":
                raise TypeError(
                    "The tagger was fitted on word sequences (lists of strings); got "
                    "token ids or numbers."
                )
            if reset:
                self.vocabulary_ = self.char_vocabulary_ = self.vectors_found_ = None
                self.affix_vocabulary_ = self.linear_buckets_ = self.linear_index_ = None
                self._trainable_words = None
                if self.vectors is not None:
                    raise ValueError(
                        "vectors gives words their pretrained vectors; the input is not "
                        "words. Pass word sequences, or vectors=None."
                    )
                if self.affix_embedding_dim:
                    raise ValueError(
                        "affix_embedding_dim reads each word's prefixes, suffixes and "
                        "shape; the input is not words. Pass word sequences, or "
                        "affix_embedding_dim=0."
                    )
                if self.casing_embedding_dim:
                    raise ValueError(
                        "casing_embedding_dim reads the case of each word's letters; the "
                        "input is not words. Pass word sequences, or casing_embedding_dim=0."
                    )
            return super()._validate_data(X, reset=reset, training=training)
        sentences = _check_word_sequences(X)
        if not reset and self.input_kind_ != "words":
            raise TypeError(f"The tagger was fitted on {self.input_kind_} input; got words.")
        embedding = None
        if reset:
            self.input_kind_ = "words"
            self.n_features_in_ = None
            embedding = self._learn_vocabularies(sentences)
        return [self._encode(s) for s in sentences], embedding

    def _text_to_ids(self, X, *, reset):
        raise TypeError(
            "Sequence 0 is a string; RNNTagger reads sequences of words, e.g. [['The', "
            "'cat', 'sat'], ...]: split each sentence into its tokens first."
        )

    def _key(self, word):
        return word.lower() if self.lowercase else word

    def _learn_vocabularies(self, sentences):
        """Word and character ids from the training words; the pretrained rows if any."""
        types = {w for s in sentences for w in s}
        words = Counter(self._key(w) for s in sentences for w in s)
        self.vocabulary_ = _vocabulary(words)
        self.char_vocabulary_ = None
        if self.char_size:
            self.char_vocabulary_ = _vocabulary(Counter(c for s in sentences for w in s for c in w))
        self.affix_vocabulary_ = None
        if self.affix_embedding_dim:
            # An affix or shape joins the vocabulary when at least two word
            # types share it: the rarer ones read the out-of-vocabulary row,
            # which is then trained, as words unseen in training will need.
            features = Counter(f for w in types for f in _affixes(w))
            shared = Counter({f: c for f, c in features.items() if c >= 2})
            self.affix_vocabulary_ = _vocabulary(shared)
        self.linear_buckets_ = self.linear_index_ = None
        if self.linear_features:
            self.linear_index_ = _linear_index(types)
            self.linear_buckets_ = len(self.linear_index_) + 1
        self.vectors_found_ = None
        self._trainable_words = self._pretrained_rows = None
        embedding = None
        if self.vectors is not None:
            # Words with a pretrained vector that training never saw join the
            # vocabulary too: at prediction time they read their vector.
            vocab_words, matrix = load_word_vectors(self.vectors)
            extra = [w for w in vocab_words if w not in self.vocabulary_]
            for i, w in enumerate(extra):
                self.vocabulary_[w] = N_RESERVED + len(words) + i
            tokens = ["<pad>", "<oov>", "<bos>", "<eos>"] + sorted(
                self.vocabulary_, key=self.vocabulary_.get
            )
            embedding, found = align_vectors(
                vocab_words, matrix, tokens, random_state=self.random_state
            )
            self.vectors_found_ = float(found[N_RESERVED : N_RESERVED + len(words)].mean())
            self._pretrained_rows = found
            # Only the training words' rows train; the others keep their vectors.
            self._trainable_words = N_RESERVED + len(words)
        self.num_embeddings_ = N_RESERVED + len(self.vocabulary_)
        return embedding

    def _held_out(self, train, valid):
        """Words, characters and affixes of the early-stopping sentences alone read the OOV row.

        The vocabularies come from all the sentences given to ``fit``, but the
        ones held out for early stopping never train: a word only they hold
        would keep its row's random start, in validation and at prediction
        time, where a word unseen in training reads the trained
        out-of-vocabulary row. So such a word (without a pretrained vector),
        character or affix leaves its vocabulary and reads that row, as it
        will at prediction time.
        """
        if self.input_kind_ != "words":
            return valid
        # The id columns of each step: word, linear path, affixes, casing,
        # characters (see _encode). The casing classes are fixed: every one
        # is known. The linear path's features need nothing: a feature
        # no sentence trained on keeps its zero weights, and so adds nothing.
        n_linear, n_affixes, casing = self._feature_columns()
        columns = [("vocabulary_", slice(0, 1))]
        if self.affix_vocabulary_ is not None:
            columns.append(("affix_vocabulary_", slice(1 + n_linear, 1 + n_linear + n_affixes)))
        if self.char_vocabulary_:
            columns.append(("char_vocabulary_", slice(1 + n_linear + n_affixes + casing, None)))
        sequences = [_id_columns(s).copy() for s in valid.sequences]
        trained = [_id_columns(s) for s in train.sequences]
        for name, cols in columns:
            vocabulary = getattr(self, name)
            used = np.zeros(N_RESERVED + len(vocabulary), dtype=bool)
            used[:N_RESERVED] = True
            for s in trained:
                used[s[:, cols]] = True
            if name == "vocabulary_":
                # Pretrained vectors are read as they are, trained or not.
                if self._pretrained_rows is not None:
                    used |= self._pretrained_rows
                if self._trainable_words is not None:
                    used[self._trainable_words :] = True
            if used.all():
                continue
            setattr(self, name, {k: i for k, i in vocabulary.items() if used[i]})
            for s in sequences:
                block = s[:, cols]
                s[:, cols] = np.where(used[block], block, OOV_ID)
        return _SequenceDataset(
            [s.reshape(v.shape) for s, v in zip(sequences, valid.sequences)],
            valid.targets,
            valid.sample_weight,
        )

    def _encode(self, words):
        """A word sequence as ids: (steps,), or (steps, 1 + features) with word features.

        Column 0 holds the word ids; then, with ``linear_features``, the
        ``LINEAR_COLUMNS`` feature ids (rows) of the word and its neighbours
        (:func:`_linear_ids`); then, with ``affix_embedding_dim``, the
        ``N_AFFIXES`` affix and shape ids of each word; then, with
        ``casing_embedding_dim``, its casing class (:func:`_casing`); then,
        with ``char_size``, its character ids between begin and end markers.
        """
        ids = [self.vocabulary_.get(self._key(w), OOV_ID) for w in words]
        n_linear, n_affixes, casing = self._feature_columns()
        if not self.char_vocabulary_ and not n_linear and not n_affixes and not casing:
            return np.asarray(ids, dtype=np.int64)
        affixes = getattr(self, "affix_vocabulary_", None)
        first_affix = 1 + n_linear
        first_char = first_affix + n_affixes + casing
        # Each word's characters between begin and end markers, so that the
        # convolution tells a suffix from the same letters inside the word.
        width = max((len(w) for w in words), default=0) + 2 if self.char_vocabulary_ else 0
        out = np.zeros((len(words), first_char + width), dtype=np.int64)
        out[:, 0] = ids
        if n_linear and len(words):
            # getattr: a tagger pickled before the index hashed into its rows.
            index = getattr(self, "linear_index_", None)
            out[:, 1:first_affix] = _linear_ids(words, index, buckets=self.linear_buckets_)
        for i, w in enumerate(words):
            if n_affixes:
                out[i, first_affix : first_affix + n_affixes] = [
                    affixes.get(f, OOV_ID) for f in _affixes(w)
                ]
            if casing:
                out[i, first_char - 1] = _casing(w)
            if self.char_vocabulary_:
                chars = [self.char_vocabulary_.get(c, OOV_ID) for c in w]
                out[i, first_char : first_char + 2 + len(w)] = [BOS_ID, *chars, EOS_ID]
        return out

    def _fit(self, X, y, sample_weight=None, *, warm_start, validation_mask=None):
        # Check that every label sequence matches its input before training.
        X = materialize(X)
        labels = TagTargets._sequences(y)  # a TypeError for y that is no label sequences
        if hasattr(X, "__len__") and len(labels) == len(X):
            for i, (n, tags) in enumerate(zip(self._step_counts(X), labels)):
                if n >= 0 and len(tags) != n:
                    raise ValueError(
                        f"Sequence {i} has {n} steps but {len(tags)} labels; a tagger "
                        "takes one label per step."
                    )
        try:
            return super()._fit(
                X, y, sample_weight, warm_start=warm_start, validation_mask=validation_mask
            )
        finally:
            # Which rows hold pretrained vectors matters to _held_out only:
            # the fitted tagger does not carry it (400,000 flags with GloVe).
            self._pretrained_rows = None

    @staticmethod
    def _step_counts(X):
        if isinstance(X, np.ndarray) and X.dtype != object:
            return [X.shape[1]] * len(X)  # a padded array's rows: every step is labelled
        # -1: not a sequence the check can count (input validation names it).
        return [len(s) if hasattr(s, "__len__") and not isinstance(s, str) else -1 for s in X]

    # -- inference ---------------------------------------------------------------

    def _per_sequence(self, X, method):
        """``module_.<method>``'s output of each sequence, cut to its steps, in the input order."""
        seqs, _ = self._validate_data(X, reset=False)
        lengths = sequence_lengths(seqs)
        order, _ = by_length(lengths, enabled=self.bucket_by_length)
        dataset = _SequenceDataset([seqs[i] for i in order])
        out = [None] * len(seqs)
        k = 0
        for batch in self.net_.forward_method_iter(dataset, method):
            for row in batch:
                i = order[k]
                out[i] = row[: lengths[i]].numpy()
                k += 1
        return out

    def predict(self, X):
        """The label of every step: an object array of label arrays, one per sequence.

        With ``crf``, each sequence's most likely label sequence (Viterbi);
        otherwise each step's most likely label.
        """
        check_is_fitted(self, "net_")
        return self.target_encoder_.inverse_transform(self._per_sequence(X, "decode"))

    def predict_proba(self, X):
        """Label probabilities of every step: arrays (steps, n_classes), columns as ``classes_``.

        With ``crf``, the marginal probability of each label at each step
        given the whole sequence (forward-backward).
        """
        check_is_fitted(self, "net_")
        return as_ragged([p.astype(np.float64) for p in self._per_sequence(X, "marginals")])

    def score(self, X, y, sample_weight=None):
        """Token accuracy: the share of steps whose predicted label is right."""
        if sample_weight is not None:
            raise ValueError("RNNTagger.score does not weight sequences; pass no sample_weight.")
        return tag_accuracy_score(y, self.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        return tags
