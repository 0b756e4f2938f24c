import numpy as np
import onnxruntime
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_rnn import LSTMRegressor, NGramVectorizer, RNNClassifier, RNNTagger, TextTokenizer
from sklearn_rnn.export import export_onnx, serving_inputs

TEXTS = ["a good film", "great fun", "a dull film", "awful mess", "good fun", "dull mess"] * 8
LABELS = [1, 1, 0, 0, 1, 0] * 8
QUERIES = ["a good mess film film film film", "words never seen", "fun", ":)", "great"]


def _run(model, path, X):
    session = onnxruntime.InferenceSession(export_onnx(model, path))
    (out,) = session.run(None, serving_inputs(model, X))
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_onnx_runtime_gives_the_classifiers_probabilities(tmp_path, cell, bidirectional):
    network = RNNClassifier(
        cell=cell, bidirectional=bidirectional, num_layers=2, max_epochs=2, random_state=0
    )
    model = make_pipeline(TextTokenizer(), network).fit(TEXTS, LABELS)
    out = _run(model, tmp_path / "model.onnx", QUERIES)  # unseen words, an empty document
    np.testing.assert_allclose(out, model.predict_proba(QUERIES), atol=1e-5)


def test_onnx_runtime_gives_multilabel_and_ensemble_multiclass_probabilities(tmp_path):
    Y = MultiLabelBinarizer().fit_transform([{"a"}, {"b"}, {"a", "b"}, set(), {"a"}, {"b"}] * 8)
    # One network here (the default trains two), so a single classifier network exports too.
    network = RNNClassifier(max_epochs=2, random_state=0, ensemble_size=1)
    multilabel = make_pipeline(TextTokenizer(), network)
    multilabel.fit(TEXTS, Y)
    out = _run(multilabel, tmp_path / "multilabel.onnx", QUERIES)
    np.testing.assert_allclose(out, multilabel.predict_proba(QUERIES), atol=1e-5)
    # An ensemble exports as one model: its averaged logits.
    network = RNNClassifier(max_epochs=2, random_state=0, ensemble_size=2)
    multiclass = make_pipeline(TextTokenizer(), network)
    multiclass.fit(TEXTS, ["x", "y", "z"] * 16)
    out = _run(multiclass, tmp_path / "multiclass.onnx", QUERIES)
    np.testing.assert_allclose(out, multiclass.predict_proba(QUERIES), atol=1e-5)


@pytest.mark.parametrize("ensemble_size", [1, 3])
@pytest.mark.parametrize("loss", ["squared_error", "gaussian_nll"])
def test_onnx_runtime_gives_the_regressors_predictions_in_target_units(
    tmp_path, loss, ensemble_size
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8, 2)).astype(np.float32)
    y = np.c_[100 + 5 * X[:, -1, 0], X[:, -2, 1] - 3]
    model = LSTMRegressor(max_epochs=3, random_state=0, loss=loss, ensemble_size=ensemble_size)
    model.fit(X, y)
    out = _run(model, tmp_path / "regressor.onnx", X[:7])
    np.testing.assert_allclose(out, model.predict(X[:7]), rtol=1e-5, atol=1e-4)


def test_onnx_runtime_on_numeric_sequences_of_other_lengths(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 6, 3)).astype(np.float32)
    model = RNNClassifier(max_epochs=2, random_state=0).fit(X, (X[:, :, 0].sum(1) > 0))
    longer = rng.normal(size=(5, 11, 3)).astype(np.float32)
    out = _run(model, tmp_path / "numeric.onnx", longer)
    np.testing.assert_allclose(out, model.predict_proba(longer), atol=1e-5)


SENTENCES = [["The", "dog", "runs"], ["a", "cat", "sleeps", "well"], ["The", "cat", "runs"]] * 8
TAGS = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB", "ADV"], ["DET", "NOUN", "VERB"]] * 8
# Unseen words and characters, a sentence longer than any in training, a one-word one.
TAG_QUERIES = [["A", "zebra", "sleeps", "très", "well", "today", "!"], ["dog"], ["cats", "run"]]


def _assert_tag_probabilities(out, model, X):
    expected = model.predict_proba(X)
    assert out.shape == (len(X), max(len(s) for s in X), len(model.classes_))
    for row, probabilities in zip(out, expected):
        np.testing.assert_allclose(row[: len(probabilities)], probabilities, atol=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"char_encoder": "cnn"},
        {"char_encoder": "lstm", "cell": "gru", "num_layers": 2},
        {"char_size": 0},  # words only
        {"affix_embedding_dim": 4},
        {"affix_embedding_dim": 4, "char_size": 0},
        {"affix_embedding_dim": 4, "casing_embedding_dim": 3},
        {"casing_embedding_dim": 3, "char_size": 0},
        {"vectors": {"the": [0.1, 0.2], "zebra": [0.3, -0.1], "dog": [0.0, 1.0]}},
        {"ensemble_size": 2},
        {"linear_features": True, "affix_embedding_dim": 4, "casing_embedding_dim": 3},
        {"linear_features": True, "char_size": 0},
    ],
    ids=[
        "char-cnn",
        "char-lstm-gru-stacked",
        "no-chars",
        "affixes",
        "affixes-no-chars",
        "affixes-casing",
        "casing-no-chars",
        "pretrained-extra-rows",
        "ensemble",
        "linear-affixes-casing",
        "linear-no-chars",
    ],
)
def test_onnx_runtime_gives_the_taggers_probabilities(tmp_path, params):
    tagger = RNNTagger(max_epochs=2, random_state=0, **params).fit(SENTENCES, TAGS)
    _assert_tag_probabilities(
        _run(tagger, tmp_path / "tagger.onnx", TAG_QUERIES), tagger, TAG_QUERIES
    )


def test_onnx_runtime_tags_numeric_sequences_and_empty_batches(tmp_path):
    rng = np.random.default_rng(2)
    X = [rng.normal(size=(n, 3)).astype(np.float32) for n in [4, 6, 5] * 8]
    y = [(s[:, 0] > 0).astype(int) for s in X]
    tagger = RNNTagger(max_epochs=2, random_state=0).fit(X, y)
    queries = [rng.normal(size=(n, 3)).astype(np.float32) for n in [9, 1, 3]]
    _assert_tag_probabilities(_run(tagger, tmp_path / "numeric.onnx", queries), tagger, queries)
    words = RNNTagger(max_epochs=1, random_state=0).fit(SENTENCES, TAGS)
    inputs = serving_inputs(words, [[], []])  # no step to tag: one padding step to run on
    assert inputs["ids"].shape == (2, 1) and list(inputs["lengths"]) == [0, 0]
    session = onnxruntime.InferenceSession(export_onnx(words, tmp_path / "words.onnx"))
    (out,) = session.run(None, inputs)
    assert out.shape == (2, 1, len(words.classes_))


def test_export_leaves_the_fitted_model_as_it_was(tmp_path):
    # The graph is traced from a copy on the CPU: the model keeps its device,
    # its mode and its weights (a model trained on a GPU exports too).
    model = make_pipeline(TextTokenizer(), RNNClassifier(max_epochs=1, random_state=0))
    model.fit(TEXTS, LABELS)
    module = model[-1].net_.module_.train()
    device = next(module.parameters()).device
    before = {k: v.clone() for k, v in module.state_dict().items()}
    out = _run(model, tmp_path / "model.onnx", QUERIES)
    assert model[-1].net_.module_ is module and module.training
    assert next(module.parameters()).device == device
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    module.eval()
    np.testing.assert_allclose(out, model.predict_proba(QUERIES), atol=1e-5)


@pytest.mark.parametrize("ngrams", [1, 2])
def test_onnx_runtime_gives_the_probabilities_with_a_linear_ngrams_path(tmp_path, ngrams):
    network = RNNClassifier(max_epochs=2, random_state=0, linear_ngrams=ngrams)
    model = make_pipeline(TextTokenizer(), network).fit(TEXTS, LABELS)
    out = _run(model, tmp_path / "model.onnx", QUERIES)
    np.testing.assert_allclose(out, model.predict_proba(QUERIES), atol=1e-5)


def test_export_refuses_what_it_cannot_export(tmp_path):
    with pytest.raises(
        TypeError, match="exports an RNNClassifier, an LSTMRegressor or an RNNTagger"
    ):
        export_onnx(make_pipeline(NGramVectorizer()), tmp_path / "x.onnx")
    with pytest.raises(Exception, match="not fitted"):
        export_onnx(RNNClassifier(), tmp_path / "x.onnx")
