"""scikit-learn API checks and contract tests for every transformer."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import (
    HashingOneHot,
    NGramVectorizer,
    PretrainedEmbedding,
    SequencePadder,
    TextTokenizer,
)

TEXT_TRANSFORMERS = [
    TextTokenizer(),
    NGramVectorizer(),
    HashingOneHot(),
    PretrainedEmbedding(vectors={"good": [1.0, 0.0], "bad": [0.0, 1.0]}),
]

# The checks that do not depend on the input being a numeric 2-D array.
SHAPE_INDEPENDENT_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
]

POS = ["a good film", "good acting, good story", "loved it, good", "great good fun"] * 5
NEG = ["a bad film", "bad acting, bad story", "hated it, bad", "awful bad mess"] * 5
TEXTS = np.array(POS + NEG, dtype=object)
LABELS = np.array(["pos"] * len(POS) + ["neg"] * len(NEG))


@pytest.mark.parametrize("estimator", TEXT_TRANSFORMERS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", SHAPE_INDEPENDENT_CHECKS)
def test_text_transformers_pass_shape_independent_checks(estimator, check):
    getattr(estimator_checks, check)(type(estimator).__name__, clone(estimator))


# SequencePadder takes numeric arrays, so scikit-learn's full suite applies;
# these checks assume 'features' are columns, while for a padder the columns
# are time steps, whose number may legitimately change between fit and transform.
PADDER_EXPECTED_FAILURES = {
    "check_n_features_in": "the padder's columns are time steps, not features",
    "check_n_features_in_after_fitting": "sequences of another length are valid input",
    "check_transformer_preserve_dtypes": "numeric sequences are float32 by contract",
    "check_transformer_general": "sequences of another length are valid input",
    "check_dtype_object": "a 1-D or 2-D object array is a ragged batch by contract",
    "check_estimators_empty_data_messages": (
        "zero-length sequences are valid; an all-empty batch has its own message"
    ),
}


@parametrize_with_checks(
    [SequencePadder()], expected_failed_checks=lambda est: PADDER_EXPECTED_FAILURES
)
def test_sequence_padder_passes_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", TEXT_TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_text_transformers_pickle_and_clone(estimator):
    fitted = clone(estimator).fit(TEXTS)
    again = pickle.loads(pickle.dumps(fitted))
    a, b = fitted.transform(TEXTS[:3]), again.transform(TEXTS[:3])
    if hasattr(a, "toarray"):
        a, b = a.toarray(), b.toarray()
    elif hasattr(a, "ids"):
        a, b = a.ids, b.ids
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert clone(fitted).get_params().keys() == fitted.get_params().keys()


def test_pipeline_tokenizer_ngrams_logistic_regression_learns():
    pipe = make_pipeline(TextTokenizer(), NGramVectorizer(), LogisticRegression())
    scores = cross_val_score(pipe, TEXTS, LABELS, cv=4)
    assert scores.mean() == 1.0
    assert pipe.fit(TEXTS, LABELS).predict(["good good good"]).tolist() == ["pos"]


def test_grid_search_over_a_tokenizer_parameter():
    # 'movie' is the most frequent word and says nothing about the label: with
    # max_tokens=5 it is the only word kept, so that setting must lose.
    texts = [f"movie movie movie {w}" for w in ["good", "great", "bad", "awful"] * 6]
    labels = [1, 1, 0, 0] * 6
    pipe = make_pipeline(
        TextTokenizer(), NGramVectorizer(output_mode="binary"), LogisticRegression()
    )
    grid = GridSearchCV(pipe, {"texttokenizer__max_tokens": [5, None]}, cv=3)
    grid.fit(texts, labels)
    assert grid.best_params_ == {"texttokenizer__max_tokens": None}
    scores = grid.cv_results_["mean_test_score"]
    assert scores[0] <= 0.6 and scores[1] == 1.0


def test_hashing_in_pipeline_and_padder_after_tokenizer():
    pipe = make_pipeline(HashingOneHot(output_mode="count", n_features=2**10), LogisticRegression())
    assert cross_val_score(pipe, TEXTS, LABELS, cv=4).mean() == 1.0
    padded = make_pipeline(TextTokenizer(), SequencePadder(maxlen=4)).fit_transform(TEXTS)
    assert padded.shape == (len(TEXTS), 4) and padded.dtype == np.int64
