"""RNNLMClassifier and its networks: class language models scored by Bayes' rule."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from sklearn_rnn import (
    BOS_ID,
    EOS_ID,
    PretrainedEmbedding,
    RNNLMClassifier,
    TextTokenizer,
)
from sklearn_rnn._batching import collate_language_model
from sklearn_rnn._nets import LanguageModelNet
from sklearn_rnn.modules import (
    ClassLanguageModelsModule,
    LanguageModelModule,
    SequenceNLLLoss,
    _adaptive_cutoffs,
)

# Each class writes its own way: the order of the words tells them apart too.
POS = ["a good film", "good acting and a good story", "i loved it", "great fun , good"] * 6
NEG = ["a bad film", "bad acting and a bad story", "i hated it", "an awful mess , bad"] * 6
TEXTS = np.array(POS + NEG, dtype=object)
LABELS = np.array(["pos"] * len(POS) + ["neg"] * len(NEG))

# scikit-learn's checks that do not need numeric 2-D input.
SHAPE_INDEPENDENT_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_valid_tag_types",
]

SMALL = dict(embedding_dim=8, hidden_size=16, max_epochs=30, random_state=0)


def _ragged(rows):
    out = np.empty(len(rows), dtype=object)
    out[:] = [np.asarray(r, dtype=np.int64) for r in rows]
    return out


def test_pipeline_learns_the_classes_from_how_they_are_written():
    model = make_pipeline(TextTokenizer(), RNNLMClassifier(early_stopping=False, **SMALL))
    model.fit(TEXTS, LABELS)
    assert model.score(TEXTS, LABELS) == 1.0
    np.testing.assert_array_equal(
        model.predict(["a good story", "an awful film"]), np.array(["pos", "neg"])
    )


def test_each_class_model_scores_its_own_texts_higher():
    tokenizer = TextTokenizer().fit(TEXTS)
    clf = RNNLMClassifier(early_stopping=False, **SMALL).fit(tokenizer.transform(TEXTS), LABELS)
    ll = clf.log_likelihood(tokenizer.transform(TEXTS))
    assert ll.shape == (len(TEXTS), 2)
    assert (ll < 0).all()
    own = ll[np.arange(len(TEXTS)), np.searchsorted(clf.classes_, LABELS)]
    other = ll[np.arange(len(TEXTS)), 1 - np.searchsorted(clf.classes_, LABELS)]
    assert (own > other).all()


def test_probabilities_are_calibrated_on_the_validation_sequences():
    model = make_pipeline(TextTokenizer(), RNNLMClassifier(validation_fraction=0.25, **SMALL))
    model.fit(TEXTS, LABELS)
    clf = model[-1]
    assert clf.calibration_ is not None
    proba = model.predict_proba(TEXTS)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(TEXTS), clf.classes_[proba.argmax(axis=1)])
    # The calibration reads the rows' per-token log-likelihoods, centred.
    X = model[0].transform(TEXTS)
    tokens = np.array([len(s) + 1 for s in X])[:, None]
    per_token = clf.log_likelihood(X) / tokens
    features = per_token - per_token.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, clf.calibration_.predict_proba(features), rtol=1e-6)


def test_without_early_stopping_the_probabilities_are_the_per_token_softmax():
    model = make_pipeline(TextTokenizer(), RNNLMClassifier(early_stopping=False, **SMALL))
    model.fit(TEXTS, LABELS)
    assert model[-1].calibration_ is None
    X = model[0].transform(TEXTS)
    per_token = model[-1].log_likelihood(X) / np.array([len(s) + 1 for s in X])[:, None]
    expected = np.exp(per_token) / np.exp(per_token).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(TEXTS), expected, rtol=1e-6)


def test_three_classes_and_an_empty_document():
    texts = list(TEXTS) + ["so so , fine i guess", "it was fine , so so"] * 12
    labels = list(LABELS) + ["mixed"] * 24
    model = make_pipeline(TextTokenizer(), RNNLMClassifier(early_stopping=False, **SMALL))
    model.fit(texts, labels)
    assert list(model[-1].classes_) == ["mixed", "neg", "pos"]
    assert model.score(texts, labels) > 0.9
    proba = model.predict_proba(["", "fine , so so"])  # an empty document is scored too
    assert proba.shape == (2, 3)
    assert np.isfinite(proba).all()
    assert model.predict(["fine , so so"])[0] == "mixed"


def test_cross_validation_grid_search_clone_and_pickle():
    model = make_pipeline(
        TextTokenizer(), RNNLMClassifier(embedding_dim=8, max_epochs=5, random_state=0)
    )
    scores = cross_val_score(model, TEXTS, LABELS, cv=3)
    assert scores.mean() > 0.5
    search = GridSearchCV(model, {"rnnlmclassifier__hidden_size": [8, 16]}, cv=2)
    search.fit(TEXTS, LABELS)
    assert search.best_params_["rnnlmclassifier__hidden_size"] in (8, 16)
    fitted = clone(model).fit(TEXTS, LABELS)
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), fitted.predict_proba(TEXTS))


def test_a_seeded_fit_repeats():
    X = TextTokenizer().fit_transform(TEXTS)
    a = RNNLMClassifier(**{**SMALL, "max_epochs": 3}).fit(X, LABELS)
    b = RNNLMClassifier(**{**SMALL, "max_epochs": 3}).fit(X, LABELS)
    np.testing.assert_array_equal(a.log_likelihood(X), b.log_likelihood(X))


def test_ids_beyond_the_vocabulary_are_read_as_out_of_vocabulary():
    X = _ragged([[4, 5, 6], [6, 5, 4]] * 10)
    clf = RNNLMClassifier(early_stopping=False, **{**SMALL, "max_epochs": 2})
    clf.fit(X, [0, 1] * 10)
    assert clf.num_embeddings_ == 7
    np.testing.assert_array_equal(
        clf.log_likelihood(_ragged([[4, 99]])), clf.log_likelihood(_ragged([[4, 1]]))
    )


def test_a_tiny_vocabulary_still_has_room_for_the_end_id():
    clf = RNNLMClassifier(early_stopping=False, **{**SMALL, "max_epochs": 1})
    clf.fit(_ragged([[1], [1, 1]] * 4), [0, 1] * 4)
    assert clf.num_embeddings_ == EOS_ID + 1


def test_bad_input_gets_errors_that_name_the_problem():
    X = TextTokenizer().fit_transform(TEXTS)
    clf = RNNLMClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="one label per sequence"):
        clf.fit(X, np.eye(2, dtype=int)[np.arange(len(X)) % 2])
    with pytest.raises(TypeError, match="reads token ids or text; got numeric"):
        clf.fit(np.zeros((6, 4, 2)), [0, 1] * 3)
    with pytest.raises(TypeError, match="Put a TextTokenizer before the estimator"):
        clf.fit(TEXTS, LABELS)
    embedded = PretrainedEmbedding(vectors={"good": [1.0, 0.0], "bad": [0.0, 1.0]}).fit(TEXTS)
    with pytest.raises(ValueError, match="does not take a PretrainedEmbedding"):
        clf.fit(embedded.transform(TEXTS), LABELS)
    with pytest.raises(ValueError, match="num_embeddings"):
        RNNLMClassifier(num_embeddings=3).fit(X, LABELS)


@pytest.mark.parametrize("check", SHAPE_INDEPENDENT_CHECKS)
def test_passes_the_shape_independent_sklearn_checks(check):
    getattr(estimator_checks, check)(type(RNNLMClassifier()).__name__, RNNLMClassifier())


# -- the networks ----------------------------------------------------------------


@pytest.mark.parametrize("num_embeddings", [30, 1200])  # plain softmax, adaptive softmax
def test_language_model_sums_the_log_probability_of_each_next_token(num_embeddings):
    torch.manual_seed(0)
    model = LanguageModelModule(num_embeddings=num_embeddings, embedding_dim=4, hidden_size=6)
    model.eval()
    assert isinstance(model.output, torch.nn.AdaptiveLogSoftmaxWithLoss) == (num_embeddings > 1001)
    x = torch.tensor([[BOS_ID, 5, 20, 7, EOS_ID], [BOS_ID, 9, EOS_ID, 0, 0]])
    lengths = torch.tensor([5, 3])
    got = model(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        h, _ = model.encoder.steps(x[i : i + 1, : n - 1], torch.tensor([n - 1]))
        if isinstance(model.output, torch.nn.AdaptiveLogSoftmaxWithLoss):
            logp = model.output.log_prob(h[0])
        else:
            logp = torch.log_softmax(model.output(h[0]), dim=-1)
        expected = logp.gather(1, x[i, 1:n, None]).sum()
        torch.testing.assert_close(got[i], expected)


def test_padding_and_batch_company_do_not_change_a_log_likelihood():
    torch.manual_seed(0)
    module = ClassLanguageModelsModule(
        n_classes=2, num_embeddings=40, embedding_dim=4, hidden_size=6
    ).eval()
    x, _ = collate_language_model([(np.array([5, 6, 7]), None, 1.0)])
    alone = module(**x)
    batch, _ = collate_language_model(
        [(np.array([5, 6, 7]), None, 1.0), (np.array([8, 9, 10, 11, 12, 13]), None, 1.0)]
    )
    together = module(**batch)
    assert together.shape == (2, 2)
    torch.testing.assert_close(together[:1], alone)


def test_in_training_each_sequence_trains_its_own_class_model_only():
    torch.manual_seed(0)
    module = ClassLanguageModelsModule(
        n_classes=3, num_embeddings=40, embedding_dim=4, hidden_size=6
    )
    X, y = collate_language_model([(np.array([5, 6]), 2, 1.0), (np.array([7]), 0, 1.0)])
    out = module(**X)
    assert out.shape == (2,)
    all_classes = module.log_likelihoods(X["x"], X["lengths"])
    torch.testing.assert_close(out, all_classes[[0, 1], [2, 0]])
    out.sum().backward()
    assert module.models[1].encoder.embedding.weight.grad is None
    assert module.models[0].encoder.embedding.weight.grad.abs().sum() > 0
    assert module.models[2].encoder.embedding.weight.grad.abs().sum() > 0


def test_the_loss_is_per_predicted_token_and_weighted_per_sequence():
    net = LanguageModelNet(
        module=torch.nn.Linear,
        module__in_features=1,
        module__out_features=1,
        criterion=SequenceNLLLoss,
    ).initialize()
    X = {"lengths": torch.tensor([4, 2]), "sample_weight": torch.tensor([1.0, 3.0])}
    loss = net.get_loss(torch.tensor([-6.0, -2.0]), None, X=X)
    # (6 * 1 + 2 * 3) / (3 tokens * 1 + 1 token * 3): a weight of 3 counts as three copies.
    torch.testing.assert_close(loss, torch.tensor(12.0 / 6.0))


def test_adaptive_cutoffs_fit_the_vocabulary():
    assert _adaptive_cutoffs(500) == []
    assert _adaptive_cutoffs(1002) == [1000]
    assert _adaptive_cutoffs(20000) == [1000, 5000]
