"""Metrics and scorers: sequence outputs (exact match, token accuracy, token error rate, BLEU),
tagging (tag accuracy, entity-level precision, recall and F1) and prediction intervals
(coverage, pinball loss).

The sequence metric functions compare reference and predicted token
sequences: each item a list of tokens (str or int), an int array, or a string
(split on whitespace). Their scorers, for ``scoring=`` in ``GridSearchCV`` and
``cross_val_score``, ask a fitted :class:`~sklearn_rnn.Seq2SeqEstimator` (or
a Pipeline ending in one) for its predicted tokens and tokenize the
references as its target tokenizer does, so the comparison happens on the
tokens the model works with. BLEU is sacrebleu's corpus BLEU (0-100).

The tagging metrics compare label sequences step by step (reference and
prediction of each sequence have the same length); their scorers
(``tag_accuracy_scorer``, ``entity_f1_scorer``) call ``predict`` of any
tagger, :class:`~sklearn_rnn.RNNTagger` or a Pipeline ending in one.

The interval scorers ask a regressor for ``predict(X, return_std=True)``
(:class:`~sklearn_rnn.LSTMRegressor` with ``loss='gaussian_nll'``, a
``GaussianProcessRegressor``, or a Pipeline ending in one) and score the
central Gaussian interval of the chosen coverage.
"""

import numpy as np
from scipy.stats import norm
from sklearn.metrics import make_scorer, mean_pinball_loss


def _token_lists(sequences, name):
    if isinstance(sequences, (str, bytes)):
        raise TypeError(f"{name} must be a collection of sequences, not a single string.")
    out = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, str):
            out.append(seq.split())
        elif isinstance(seq, np.ndarray):
            out.append(seq.ravel().tolist())
        elif hasattr(seq, "__iter__") and not isinstance(seq, bytes):
            out.append(list(seq))
        else:
            raise TypeError(
                f"{name}[{i}] is a {type(seq).__name__}; expected a token sequence or a string."
            )
    return out


def _check_pair(y_true, y_pred):
    true, pred = _token_lists(y_true, "y_true"), _token_lists(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ValueError(f"y_true holds {len(true)} sequences but y_pred holds {len(pred)}.")
    if not true:
        raise ValueError("Expected at least one sequence; got none.")
    return true, pred


def exact_match_score(y_true, y_pred):
    """Share of predictions equal to their reference, token for token.

    Examples
    --------
    >>> exact_match_score(["a b c", "d e"], ["a b c", "d f"])
    0.5
    """
    true, pred = _check_pair(y_true, y_pred)
    return float(np.mean([t == p for t, p in zip(true, pred)]))


def token_accuracy_score(y_true, y_pred):
    """Share of token positions that match, over the longer of reference and prediction.

    A missing or extra token counts as an error at its position.

    Examples
    --------
    >>> token_accuracy_score(["a b c d"], ["a b x"])
    0.5
    """
    true, pred = _check_pair(y_true, y_pred)
    matches = sum(sum(a == b for a, b in zip(t, p)) for t, p in zip(true, pred))
    positions = sum(max(len(t), len(p)) for t, p in zip(true, pred))
    return 1.0 if positions == 0 else matches / positions


def edit_distance(a, b):
    """Levenshtein distance between two token sequences (substitutions, insertions, deletions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def token_error_rate(y_true, y_pred):
    """Edit distance over reference length, summed over the corpus (word / phoneme error rate).

    Examples
    --------
    >>> token_error_rate(["K AE1 T"], ["K AH0 T S"])
    0.6666666666666666
    """
    true, pred = _check_pair(y_true, y_pred)
    errors = sum(edit_distance(t, p) for t, p in zip(true, pred))
    total = sum(len(t) for t in true)
    if total == 0:
        raise ValueError("The references hold no tokens: the error rate is undefined.")
    return errors / total


def bleu_score(y_true, y_pred):
    """Corpus BLEU (0-100) of the predictions against one reference each, by sacrebleu.

    Tokens are compared as given (sacrebleu's ``tokenize='none'``): the
    sequences are already tokenized.

    Examples
    --------
    >>> round(bleu_score(["the cat sat on the mat"], ["the cat sat on the mat"]), 1)
    100.0
    """
    try:
        import sacrebleu
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "bleu_score needs sacrebleu: pip install sacrebleu (or 'sklearn-rnn[seq2seq]')."
        ) from exc
    true, pred = _check_pair(y_true, y_pred)
    hyps = [" ".join(map(str, p)) for p in pred]
    refs = [" ".join(map(str, t)) for t in true]
    return float(sacrebleu.corpus_bleu(hyps, [refs], tokenize="none").score)


def _chunk_end(prev_tag, tag, prev_type, type_):
    """Whether a chunk ended before the current tag (conlleval's rules, as seqeval applies them)."""
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _chunk_start(prev_tag, tag, prev_type, type_):
    """Whether a chunk starts at the current tag (conlleval's rules)."""
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_


def entities(tags):
    """The entities of one sequence of IOB1, IOB2 (BIO), IOE or IOBES tags: (type, start, end).

    conlleval's chunking, which seqeval's default mode follows: a chunk starts
    at ``B-``/``S-`` (or an ``I-``/``E-`` of a new type), ends before ``O``, a
    new ``B-``/``S-``, or a change of type; ``end`` is inclusive. A tag with no
    type (``B``) has type ``'_'``.

    Examples
    --------
    >>> entities(["B-PER", "I-PER", "O", "B-LOC", "I-ORG"])
    [('PER', 0, 1), ('LOC', 3, 3), ('ORG', 4, 4)]
    """
    out = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, label in enumerate([*map(str, tags), "O"]):
        tag = label[0]
        type_ = label[1:].split("-", maxsplit=1)[-1] or "_"
        if _chunk_end(prev_tag, tag, prev_type, type_):
            out.append((prev_type, begin, i - 1))
        if _chunk_start(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return out


def _aligned(y_true, y_pred):
    true, pred = _check_pair(y_true, y_pred)
    for i, (t, p) in enumerate(zip(true, pred)):
        if len(t) != len(p):
            raise ValueError(
                f"Sequence {i} has {len(t)} reference tags but {len(p)} predicted ones; tags "
                "are compared step by step."
            )
    return true, pred


def entity_precision_recall_fscore(y_true, y_pred):
    """Entity-level precision, recall and F1 over a corpus of tag sequences (micro-averaged).

    An entity counts as found when a predicted entity has its exact type,
    start and end (:func:`entities`; seqeval's default definitions, those
    of the CoNLL shared tasks' conlleval).

    Returns
    -------
    precision, recall, f1 : float
        0 where undefined (no predicted or no reference entity).

    Examples
    --------
    >>> y_true = [["O", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> entity_precision_recall_fscore(y_true, y_pred)
    (0.5, 0.5, 0.5)
    """
    true, pred = _aligned(y_true, y_pred)
    gold = {(i, *e) for i, t in enumerate(true) for e in entities(t)}
    found = {(i, *e) for i, p in enumerate(pred) for e in entities(p)}
    hits = len(gold & found)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def entity_f1_score(y_true, y_pred):
    """Entity-level F1 of tag sequences (see :func:`entity_precision_recall_fscore`)."""
    return entity_precision_recall_fscore(y_true, y_pred)[2]


def tag_accuracy_score(y_true, y_pred):
    """Share of steps whose predicted tag equals the reference (sequences of equal lengths).

    Examples
    --------
    >>> tag_accuracy_score([["DET", "NOUN"], ["VERB"]], [["DET", "VERB"], ["VERB"]])
    0.6666666666666666
    """
    true, pred = _aligned(y_true, y_pred)
    if not any(true):
        raise ValueError("The references hold no tags: the accuracy is undefined.")
    return token_accuracy_score(true, pred)  # equal lengths: the share of matching steps


class Seq2SeqScorer:
    """A scorer ``scorer(estimator, X, Y)`` comparing a sequence model's tokens with Y's.

    Parameters
    ----------
    metric : callable
        ``metric(y_true_tokens, y_pred_tokens) -> float``.
    greater_is_better : bool, default=True
        False negates the metric (for error rates), as scikit-learn's scorers do.
    """

    def __init__(self, metric, *, greater_is_better=True):
        self.metric = metric
        self.greater_is_better = greater_is_better

    def __call__(self, estimator, X, y):
        final = estimator
        if hasattr(estimator, "steps"):  # a Pipeline: transform X, then ask the last step
            X = estimator[:-1].transform(X)
            final = estimator[-1]
        if not hasattr(final, "predict_tokens"):
            raise TypeError(
                f"{type(final).__name__} does not predict token sequences; sequence scorers "
                "need a Seq2SeqEstimator (or a Pipeline ending in one)."
            )
        value = self.metric(final.tokenize_targets(y), final.predict_tokens(X))
        return value if self.greater_is_better else -value

    def __repr__(self):
        sign = "" if self.greater_is_better else ", greater_is_better=False"
        return f"Seq2SeqScorer({self.metric.__name__}{sign})"


def interval_coverage_score(y_true, y_lower, y_upper):
    """The fraction of values inside their intervals ``[y_lower, y_upper]`` (ends included).

    Examples
    --------
    >>> interval_coverage_score([1.0, 2.0, 5.0], [0.0, 2.5, 4.0], [2.0, 3.0, 6.0])
    0.6666666666666666
    """
    y_true, y_lower, y_upper = (np.asarray(a, dtype=np.float64) for a in (y_true, y_lower, y_upper))
    if not y_true.shape == y_lower.shape == y_upper.shape:
        raise ValueError(
            f"y_true, y_lower and y_upper must have one shape; got {y_true.shape}, "
            f"{y_lower.shape} and {y_upper.shape}."
        )
    if y_true.size == 0:
        raise ValueError("Expected at least one value; got none.")
    return float(np.mean((y_lower <= y_true) & (y_true <= y_upper)))


class IntervalScorer:
    """A scorer ``scorer(estimator, X, y)`` of central prediction intervals.

    The interval of coverage ``c`` around each prediction is
    ``y_pred +- norm.ppf((1 + c) / 2) * y_std``, from the estimator's
    ``predict(X, return_std=True)``.

    Parameters
    ----------
    metric : {'coverage_error', 'pinball'}
        'coverage_error': minus the distance between the interval's observed
        and nominal coverage (0 is best). 'pinball': minus the mean pinball
        loss of the interval's two ends, the quantiles ``(1 - c) / 2`` and
        ``(1 + c) / 2`` (scikit-learn's ``mean_pinball_loss``), which also
        rewards narrow intervals, in the targets' units.
    coverage : float, default=0.8
        The nominal coverage ``c`` of the interval, in (0, 1).

    Examples
    --------
    >>> from sklearn.gaussian_process import GaussianProcessRegressor
    >>> X = np.linspace(0, 1, 40)[:, None]
    >>> gp = GaussianProcessRegressor(alpha=0.01).fit(X, np.sin(6 * X[:, 0]))
    >>> IntervalScorer("coverage_error")(gp, X, np.sin(6 * X[:, 0])) <= 0
    True
    """

    def __init__(self, metric, *, coverage=0.8):
        if metric not in ("coverage_error", "pinball"):
            raise ValueError(f"metric must be 'coverage_error' or 'pinball'; got {metric!r}.")
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1); got {coverage!r}.")
        self.metric = metric
        self.coverage = coverage

    def __call__(self, estimator, X, y):
        try:
            y_pred, y_std = estimator.predict(X, return_std=True)
        except TypeError as exc:
            if "return_std" not in str(exc):
                raise
            raise TypeError(
                f"{type(estimator).__name__}.predict does not take return_std; interval "
                "scorers need a regressor that predicts its spread (e.g. "
                "LSTMRegressor(loss='gaussian_nll'))."
            ) from None
        y = np.asarray(y, dtype=np.float64).reshape(np.shape(y_pred))
        half = norm.ppf((1 + self.coverage) / 2) * np.asarray(y_std)
        lower, upper = y_pred - half, y_pred + half
        if self.metric == "coverage_error":
            return -abs(interval_coverage_score(y, lower, upper) - self.coverage)
        low_q, high_q = (1 - self.coverage) / 2, (1 + self.coverage) / 2
        return -0.5 * (
            mean_pinball_loss(y, lower, alpha=low_q) + mean_pinball_loss(y, upper, alpha=high_q)
        )

    def __repr__(self):
        return f"IntervalScorer({self.metric!r}, coverage={self.coverage})"


exact_match_scorer = Seq2SeqScorer(exact_match_score)
token_accuracy_scorer = Seq2SeqScorer(token_accuracy_score)
bleu_scorer = Seq2SeqScorer(bleu_score)
neg_token_error_rate_scorer = Seq2SeqScorer(token_error_rate, greater_is_better=False)
neg_coverage_error_scorer = IntervalScorer("coverage_error")
#: Scorers of taggers (any estimator whose ``predict`` gives a label sequence per sequence).
tag_accuracy_scorer = make_scorer(tag_accuracy_score)
entity_f1_scorer = make_scorer(entity_f1_score)
neg_pinball_loss_scorer = IntervalScorer("pinball")

__all__ = [
    "IntervalScorer",
    "Seq2SeqScorer",
    "bleu_score",
    "bleu_scorer",
    "edit_distance",
    "entities",
    "entity_f1_score",
    "entity_f1_scorer",
    "entity_precision_recall_fscore",
    "exact_match_score",
    "exact_match_scorer",
    "interval_coverage_score",
    "neg_coverage_error_scorer",
    "neg_pinball_loss_scorer",
    "neg_token_error_rate_scorer",
    "tag_accuracy_score",
    "tag_accuracy_scorer",
    "token_accuracy_score",
    "token_accuracy_scorer",
    "token_error_rate",
]
