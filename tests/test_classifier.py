import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback
from tasks import ROUNDING, order_task

from sklearn_rnn import (
    NGramVectorizer,
    PretrainedEmbedding,
    RNNClassifier,
    SequencePadder,
    TextTokenizer,
)
from sklearn_rnn import classifier as classifier_module
from sklearn_rnn._sequences import as_ragged, pad_sequences

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=8, random_state=0, early_stopping=False)


def _members(clf):
    """The networks of a fitted classifier: an ensemble's members, or the one network."""
    module = clf.net_.module_
    return list(getattr(module, "members", [module]))


def _ids(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return as_ragged([rng.integers(4, 20, size=n) for n in lengths])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_padding_never_changes_a_prediction(cell, bidirectional, pooling):
    X = _ids([3, 7, 1, 5])
    y = np.array([0, 1, 0, 1])
    clf = RNNClassifier(
        cell=cell, bidirectional=bidirectional, pooling=pooling, num_layers=2, **FAST
    ).fit(X, y)
    alone = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(len(X))])
    together = clf.predict_proba(X)
    pre = clf.predict_proba(SequencePadder(maxlen=10, padding="pre").fit_transform(X))
    post = clf.predict_proba(SequencePadder(maxlen=10, padding="post").fit_transform(X))
    for other in (together, pre, post):
        np.testing.assert_allclose(alone, other, atol=ROUNDING)
    rep = clf.transform(X)  # the default ensemble's two members side by side
    assert rep.shape == (4, 8 * (2 if bidirectional else 1) * 2)


def test_recurrent_model_learns_order_that_bag_of_words_cannot():
    rng = np.random.default_rng(0)
    X_train, y_train = order_task(800, rng)
    X_test, y_test = order_task(400, rng)
    clf = RNNClassifier(
        cell="gru",
        hidden_size=32,
        embedding_dim=16,
        max_epochs=25,
        batch_size=32,
        lr=5e-3,
        random_state=0,
        early_stopping=False,
    )
    rnn_acc = clf.fit(X_train, y_train).score(X_test, y_test)
    bow = make_pipeline(
        NGramVectorizer(ngram_range=(1, 1), output_mode="count"), LogisticRegression()
    )
    bow_acc = bow.fit(X_train, y_train).score(X_test, y_test)
    assert rnn_acc > 0.9, rnn_acc
    assert bow_acc < 0.65, bow_acc


def test_inference_batches_grow_for_narrow_layers_and_outputs_stay():
    X = _ids([3, 7, 1, 5, 9, 2, 6, 4] * 8)
    y = np.array([0, 1] * 32)
    # 8 units, two directions: 16 state values per sequence, a narrow layer.
    clf = RNNClassifier(bidirectional=True, batch_size=4, **FAST).fit(X, y)
    assert clf.net_.iterator_valid__batch_size == 128
    grown = clf.predict_proba(X)
    clf.net_.iterator_valid__batch_size = 4  # the training batch size
    np.testing.assert_allclose(clf.predict_proba(X), grown, atol=ROUNDING)
    # Layers of more than 64 state values keep batch_size; a larger one stays.
    wide = RNNClassifier(**{**FAST, "hidden_size": 64}, bidirectional=True, batch_size=32)
    assert wide._inference_batch_size() == 32
    assert RNNClassifier(**FAST, batch_size=256)._inference_batch_size() == 256


def test_same_random_state_same_model_and_different_seed_differs():
    X, y = order_task(60, np.random.default_rng(1))
    a = RNNClassifier(**FAST).fit(X, y).predict_proba(X)
    b = RNNClassifier(**FAST).fit(X, y).predict_proba(X)
    c = RNNClassifier(**{**FAST, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


TEXTS = ["good film", "great fun", "loved it", "bad film", "awful mess", "hated it"] * 6
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"] * 6


def test_string_labels_through_grid_search_over_model_and_tokenizer():
    pipe = make_pipeline(TextTokenizer(), RNNClassifier(**FAST))
    grid = GridSearchCV(
        pipe,
        {"texttokenizer__lowercase": [True, False], "rnnclassifier__hidden_size": [4, 8]},
        cv=2,
    )
    grid.fit(TEXTS, LABELS)
    assert set(grid.predict(TEXTS)) <= {"pos", "neg"}
    assert list(grid.best_estimator_.classes_) == ["neg", "pos"]
    assert len(grid.cv_results_["mean_test_score"]) == 4


def test_multiclass_and_pipeline_with_padder():
    y = ["a", "b", "c"] * 12
    pipe = make_pipeline(
        TextTokenizer(),
        SequencePadder(maxlen=5),
        RNNClassifier(**{**FAST, "max_epochs": 40, "lr": 1e-2}),
    )
    pipe.fit(TEXTS, y)
    proba = pipe.predict_proba(TEXTS)
    assert proba.shape == (36, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert pipe.score(TEXTS, y) > 0.9


def test_pickle_and_joblib_round_trip_identical_probabilities(tmp_path):
    pipe = make_pipeline(TextTokenizer(), RNNClassifier(**FAST)).fit(TEXTS, LABELS)
    expected = pipe.predict_proba(TEXTS)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pipe)).predict_proba(TEXTS), expected)
    joblib.dump(pipe, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict_proba(TEXTS), expected)
    assert clone(pipe).get_params().keys() == pipe.get_params().keys()


class _RecordSizes(Callback):
    sizes = []  # on the class: clone() copies the callback of each fold

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.sizes.append((len(dataset_train), len(dataset_valid)))


def test_early_stopping_in_cross_validation_uses_only_the_folds_training_data():
    X, y = order_task(100, np.random.default_rng(2))
    _RecordSizes.sizes.clear()
    clf = RNNClassifier(
        max_epochs=1,
        hidden_size=4,
        embedding_dim=4,
        random_state=0,
        validation_fraction=0.2,
        callbacks=[("sizes", _RecordSizes())],
    )
    cross_val_score(clf, X, y, cv=StratifiedKFold(4))
    # Each fold trains on 75 samples: 60 for training and 15 held out for early stopping;
    # the 25 test samples of the fold are never seen.
    assert _RecordSizes.sizes == [(60, 15)] * 4


def test_early_stopping_stops_and_keeps_the_best_epoch():
    X, _ = order_task(120, np.random.default_rng(3))
    y = np.random.default_rng(3).integers(0, 2, len(X))  # noise: validation loss soon rises
    clf = RNNClassifier(max_epochs=60, patience=2, lr=0.05, hidden_size=16, random_state=0)
    clf.fit(X, y)
    history = clf.history_
    assert len(history) < 60
    assert "valid_acc" in history[-1] and "valid_loss" in history[-1]
    best = int(np.argmin(history[:, "valid_loss"]))
    assert best == len(history) - 1 - 2  # stopped `patience` epochs after the best


def test_scoring_accuracy_stops_on_the_validation_accuracy_and_keeps_its_best_epoch():
    X, y = order_task(200, np.random.default_rng(5))
    params = dict(max_epochs=40, patience=2, lr=0.02, hidden_size=16, random_state=0)
    valid = np.arange(len(y)) % 5 == 0
    by_accuracy = RNNClassifier(scoring="accuracy", **params).fit(X, y, validation_mask=valid)
    history = by_accuracy.history_
    accuracy = history[:, "valid_acc"]
    best = int(np.argmax(accuracy))  # the first epoch of the highest accuracy
    assert best == len(history) - 1 - 2  # stopped `patience` epochs after it
    # The kept weights are that epoch's: they reproduce its validation accuracy.
    assert by_accuracy.score(X[valid], y[valid]) == pytest.approx(accuracy[best])
    # The validation loss went on falling after it: stopping on the loss trains longer.
    assert min(history[best + 1 :, "valid_loss"]) < history[best, "valid_loss"]
    by_loss = RNNClassifier(**params).fit(X, y, validation_mask=valid)
    assert len(by_loss.history_) > len(history)


def test_scoring_takes_a_scikit_learn_scorer_and_stops_on_its_best_epoch():
    from sklearn.metrics import f1_score

    X, y = order_task(240, np.random.default_rng(7))
    y = y + 2 * (np.array([len(s) for s in X]) > 6)  # four classes
    valid = np.arange(len(y)) % 4 == 0
    params = dict(max_epochs=40, patience=2, lr=0.02, hidden_size=16, random_state=0)
    clf = RNNClassifier(scoring="f1_macro", **params).fit(X, y, validation_mask=valid)
    f1 = clf.history_[:, "valid_f1_macro"]
    best = int(np.argmax(f1))
    assert best == len(f1) - 1 - 2
    # The score is the scorer's on the kept weights' predictions of the validation samples.
    assert f1_score(y[valid], clf.predict(X[valid]), average="macro") == pytest.approx(f1[best])
    # A probability scorer reads the validation pass's probabilities: minus the mean log-loss.
    clf = RNNClassifier(scoring="neg_log_loss", **params).fit(X, y, validation_mask=valid)
    np.testing.assert_allclose(
        clf.history_[:, "valid_neg_log_loss"], -np.array(clf.history_[:, "valid_loss"]), rtol=1e-5
    )


@pytest.mark.parametrize("scoring", ["accuracy", "f1_micro"])
def test_scoring_other_than_the_loss_needs_one_label_per_sample(scoring):
    texts, Y = _multilabel_corpus(40)
    model = make_pipeline(TextTokenizer(), RNNClassifier(scoring=scoring, max_epochs=1))
    with pytest.raises(ValueError, match=f"scoring='{scoring}' scores one label per sample"):
        model.fit(texts, Y)


@pytest.mark.parametrize("early_stopping", [True, False])
@pytest.mark.parametrize("scoring", ["f2", "valid_acc"])
def test_scoring_names_a_scorer(scoring, early_stopping):
    X, y = order_task(20, np.random.default_rng(0))
    clf = RNNClassifier(scoring=scoring, early_stopping=early_stopping, max_epochs=1)
    with pytest.raises(ValueError, match=f"scoring must be 'loss' or the name of .*{scoring}"):
        clf.fit(X, y)


def test_sample_weight_zero_means_the_sample_is_ignored():
    X, y = order_task(80, np.random.default_rng(4))
    w = np.ones(len(y))
    w[:20] = 0
    flipped = y.copy()
    flipped[:20] = 1 - flipped[:20]
    a = RNNClassifier(**FAST).fit(X, y, sample_weight=w).predict_proba(X)
    b = RNNClassifier(**FAST).fit(X, flipped, sample_weight=w).predict_proba(X)
    c = RNNClassifier(**FAST).fit(X, flipped).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(a, c, atol=1e-4)


def test_integer_sample_weight_equals_repetition():
    X, y = order_task(30, np.random.default_rng(6))
    w = np.tile([1, 2, 3], 10)
    repeated = np.repeat(np.arange(len(y)), w)
    params = dict(FAST, batch_size=100)  # one batch: the same gradient up to rounding
    # The n-gram path drops features by draws per batch position, which
    # repeating samples moves: the network alone here.
    params["linear_ngrams"] = 0
    a = RNNClassifier(**params).fit(X, y, sample_weight=w).predict_proba(X)
    b = RNNClassifier(**params).fit(X[repeated], y[repeated]).predict_proba(X)
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_length_sorted_prediction_returns_the_input_order():
    X = _ids([9, 1, 5, 2, 8, 3, 7, 4, 6, 1])
    y = np.array([0, 1] * 5)
    clf = RNNClassifier(**FAST, batch_size=3).fit(X, y)
    sorted_proba, sorted_rep = clf.predict_proba(X), clf.transform(X)
    clf.set_params(bucket_by_length=False)
    np.testing.assert_allclose(sorted_proba, clf.predict_proba(X), atol=ROUNDING)
    np.testing.assert_allclose(sorted_rep, clf.transform(X), atol=ROUNDING)
    one_by_one = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(sorted_proba, one_by_one, atol=ROUNDING)


class _TorchThreads(Callback):
    """Records the torch threads each epoch ran with."""

    def on_epoch_end(self, net, **kwargs):
        import torch

        net.history.record("torch_threads", torch.get_num_threads())


def test_parallel_fits_share_the_cores_instead_of_oversubscribing():
    import joblib
    from sklearn.model_selection import cross_validate

    X, y = order_task(60, np.random.default_rng(7))
    clf = RNNClassifier(**FAST, callbacks=[_TorchThreads()])
    fitted = cross_validate(clf, X, y, cv=2, n_jobs=2, return_estimator=True)["estimator"]
    budget = max(1, joblib.cpu_count() // 2)
    assert [est.history_[-1, "torch_threads"] <= budget for est in fitted] == [True, True]


def test_class_weight_balanced_moves_predictions_to_the_rare_class():
    X, y = order_task(120, np.random.default_rng(5))
    y = np.where(np.arange(len(y)) < 100, 0, 1)  # 100 vs 20, labels unrelated to X
    params = {**FAST, "max_epochs": 10, "lr": 1e-2}
    plain = RNNClassifier(**params).fit(X, y).predict_proba(X)[:, 1].mean()
    balanced = RNNClassifier(**params, class_weight="balanced").fit(X, y)
    assert plain < 0.3
    assert balanced.predict_proba(X)[:, 1].mean() > plain + 0.15


def test_pretrained_embedding_initialises_and_freezes_the_embedding():
    vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0], "fun": [0.5, 0.5]}
    emb = PretrainedEmbedding(vectors=vectors, missing="zeros")
    pipe = make_pipeline(emb, RNNClassifier(**FAST, freeze_embedding=True)).fit(TEXTS, LABELS)
    for member in _members(pipe[-1]):  # each network of the default ensemble
        weight = member.encoder.embedding.weight.detach().cpu().numpy()
        np.testing.assert_array_equal(weight, pipe[0].embedding_matrix_)
    assert pipe[-1].num_embeddings_ == pipe[0].tokenizer_.vocabulary_size_
    tuned = make_pipeline(clone(emb), RNNClassifier(**FAST)).fit(TEXTS, LABELS)
    for member in _members(tuned[-1]):
        assert not np.array_equal(
            member.encoder.embedding.weight.detach().cpu().numpy(), tuned[0].embedding_matrix_
        )


def test_numeric_sequences_time_series_classification():
    rng = np.random.default_rng(0)
    n, steps = 200, 12
    y = rng.integers(0, 2, n)
    slope = np.where(y == 1, 0.3, -0.3)
    X = (slope[:, None] * np.arange(steps) + rng.normal(0, 0.5, (n, steps)))[..., None]
    X = np.concatenate([X, rng.normal(size=(n, steps, 1))], axis=2).astype(np.float32)
    clf = RNNClassifier(max_epochs=15, hidden_size=16, random_state=0, lr=1e-2).fit(X, y)
    assert clf.n_features_in_ == 2 and clf.num_embeddings_ is None
    assert clf.score(X, y) > 0.9
    ragged = as_ragged([X[i, : 5 + i % 7] for i in range(n)])
    assert clf.predict(ragged).shape == (n,)
    with pytest.raises(ValueError, match="3 features per step; the model was fitted on 2"):
        clf.predict(np.ones((2, 4, 3), dtype=np.float32))
    bad = X[:3].copy()
    bad[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="Sequence 1 holds NaN"):
        clf.predict(bad)


def test_unseen_ids_at_predict_time_read_as_out_of_vocabulary():
    X, y = order_task(40, np.random.default_rng(6))
    clf = RNNClassifier(**FAST).fit(X, y)
    big = as_ragged([np.array([5, 999, 6])])
    oov = as_ragged([np.array([5, 1, 6])])
    np.testing.assert_array_equal(clf.predict_proba(big), clf.predict_proba(oov))


def test_warm_start_and_partial_fit_continue_training():
    X, y = order_task(60, np.random.default_rng(7))
    clf = RNNClassifier(**FAST, warm_start=True).fit(X, y)
    first = clf.net_
    clf.fit(X, y)
    assert clf.net_ is first and len(clf.history_) == 4
    clf.partial_fit(X, y)
    assert len(clf.history_) == 6
    with pytest.raises(ValueError, match="labels not seen"):
        clf.partial_fit(X, y + 5)


def test_one_epoch_at_a_time_is_the_same_training_as_one_fit():
    """The pruning recipe (Optuna, one partial_fit per epoch, scored in between) trains
    exactly what fit trains: the optimizer state and the batches' randomness carry on."""
    X, y = order_task(60, np.random.default_rng(9))
    params = {**FAST, "word_dropout": 0.2, "dropout": 0.3}  # randomness in every epoch
    whole = RNNClassifier(**{**params, "max_epochs": 3}).fit(X, y)
    stepped = RNNClassifier(**{**params, "max_epochs": 1})
    for _ in range(3):
        stepped.partial_fit(X, y, classes=[0, 1])
        stepped.score(X, y)  # scoring between epochs draws no randomness
    assert len(stepped.history_) == 3
    np.testing.assert_allclose(stepped.predict_proba(X), whole.predict_proba(X), atol=1e-6)


def test_num_embeddings_sizes_the_embedding_for_later_partial_fits():
    X, y = order_task(40, np.random.default_rng(8))
    grown = as_ragged([np.append(s, 40) for s in X])  # an id the first batch never held
    clf = RNNClassifier(**FAST).fit(X, y)
    assert clf.num_embeddings_ == 13
    with pytest.raises(ValueError, match="Sequence 0 holds id 40, beyond the model's 13 embedding"):
        clf.partial_fit(grown, y)
    sized = RNNClassifier(**FAST, num_embeddings=50).fit(X, y)
    embeddings = [member.encoder.embedding for member in _members(sized)]
    assert [embedding.num_embeddings for embedding in embeddings] == [50, 50]
    before = [embedding.weight[40].detach().cpu().clone() for embedding in embeddings]
    sized.partial_fit(grown, y)
    for old, embedding in zip(before, embeddings):
        assert not np.allclose(old, embedding.weight[40].detach().cpu())
    with pytest.raises(ValueError, match=r"Token id 40 is outside .* 20 rows \(num_embeddings\)"):
        RNNClassifier(**FAST, num_embeddings=20).fit(grown, y)
    vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0]}
    with pytest.raises(ValueError, match="num_embeddings=50 but the pretrained embedding"):
        make_pipeline(
            PretrainedEmbedding(vectors=vectors), RNNClassifier(**FAST, num_embeddings=50)
        ).fit(TEXTS, LABELS)


def test_summary_lists_layers_and_parameter_counts(capsys):
    clf = RNNClassifier(**FAST, bidirectional=True).fit(*order_task(30, np.random.default_rng(8)))
    clf.summary()
    out = capsys.readouterr().out
    total = sum(p.numel() for p in clf.net_.module_.parameters())
    assert "embedding (Embedding)" in out and "LSTM" in out and f"Total params: {total:,}" in out


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (_ids([2, 3]), [0, 1, 1], ValueError, "2 sequences but y holds 3"),
        (_ids([2, 3]), [1, 1], ValueError, "at least two classes in y; got 1 class \\(1\\)"),
        (["raw text", "more"], [0, 1], TypeError, "Put a TextTokenizer before"),
        ("raw text", [0], TypeError, "single string"),
        (as_ragged([np.array([4, -5]), np.array([4])]), [0, 1], ValueError, "holds -5"),
        (np.full((2, 3, 1), np.inf, dtype=np.float32), [0, 1], ValueError, "NaN or infinite"),
        (_ids([2, 3]), [0.5, 1.5], ValueError, "Unknown label type"),
    ],
)
def test_bad_input_gets_a_clear_error(X, y, error, match):
    with pytest.raises(error, match=match):
        RNNClassifier(**FAST).fit(X, y)


def test_an_empty_sequence_is_predicted_from_no_evidence():
    # Empty documents are real data (CR and MPQA hold some): like a bag of words'
    # row of zeros, an empty sequence reads as the zero vector.
    X = as_ragged([np.array([4, 5]), np.array([], dtype=np.int64), np.array([6]), np.array([5])])
    y = [0, 1, 0, 1]
    clf = RNNClassifier(**FAST).fit(X, y)
    empty = as_ragged([np.array([], dtype=np.int64)])
    np.testing.assert_array_equal(clf.transform(empty), 0.0)
    # The default ensemble averages its members' logits: here their output biases.
    bias = torch.stack([member.output.bias.detach().cpu() for member in _members(clf)]).mean(0)
    np.testing.assert_allclose(clf.predict_proba(empty)[0], bias.softmax(-1).numpy(), rtol=1e-6)
    single = RNNClassifier(**FAST, ensemble_size=1).fit(X, y)
    bias = single.net_.module_.output.bias.detach().cpu()
    np.testing.assert_allclose(single.predict_proba(empty)[0], bias.softmax(-1).numpy(), rtol=1e-6)
    # Padded alike: an all-zero row of a padded batch is the same empty sequence.
    padded = np.array([[4, 5], [0, 0]])
    np.testing.assert_allclose(clf.predict_proba(padded)[1], clf.predict_proba(empty)[0])


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        RNNClassifier().predict(_ids([2]))


def test_device_auto_resolves_to_an_available_device():
    clf = RNNClassifier(**FAST).fit(*order_task(20, np.random.default_rng(9)))
    import torch

    assert clf.net_.device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_device_auto_respects_cuda_visible_devices():
    """A worker given no GPU (CUDA_VISIBLE_DEVICES='') trains on the CPU even on a GPU machine."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np; from sklearn_rnn import RNNClassifier;"
        "from sklearn_rnn._sequences import as_ragged;"
        "X = as_ragged([np.array([4, 5]), np.array([6])]);"
        "print(RNNClassifier(max_epochs=1, early_stopping=False).fit(X, [0, 1]).net_.device)"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "cpu"


def test_early_stopping_with_tiny_or_unbalanced_data():
    X = _ids([2, 3, 4, 2, 3])
    clf = RNNClassifier(max_epochs=1, random_state=0).fit(X, [0, 0, 0, 0, 1])
    assert list(clf.classes_) == [0, 1]
    # Two samples of two classes: one trains, one validates.
    assert len(RNNClassifier(max_epochs=1).fit(_ids([2, 3]), [0, 1]).predict(X)) == 5


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_encoder_pools_unaligned_backward_states_as_aligned_ones(cell, num_layers, pooling):
    """forward() skips re-aligning the top backward states; the pooled vector is the same."""
    import torch

    from sklearn_rnn._sequences import pad_sequences
    from sklearn_rnn.modules import RNNEncoderModule

    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=20, embedding_dim=4, cell=cell, hidden_size=5, num_layers=num_layers,
        bidirectional=True, pooling=pooling,
    ).eval()  # fmt: skip
    lengths = [3, 7, 1, 5]
    x = torch.from_numpy(pad_sequences(_ids(lengths), padding="post"))
    lengths = torch.tensor(lengths)
    h, mask = encoder.steps(x, lengths)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x, lengths), encoder.pool(h, mask, lengths))


def _adversarial_fit(**params):
    texts = ["good film", "great fun", "bad film", "awful mess"] * 8
    labels = [1, 1, 0, 0] * 8
    model = make_pipeline(
        TextTokenizer(),
        RNNClassifier(hidden_size=8, max_epochs=2, early_stopping=False, random_state=0, **params),
    )
    return model.fit(texts, labels)[-1]


def test_adversarial_step_raises_the_loss_it_trains_on():
    # No dropout: the two passes differ only by the perturbation, which must
    # point up the loss (a sign error would make it a descent step).
    clf = _adversarial_fit(adversarial_eps=0.05)
    batches = [b for epoch in clf.history_ for b in epoch["batches"]]
    assert batches
    for batch in batches:
        assert batch["train_adversarial_loss"] > batch["train_loss"]


def test_adversarial_training_changes_the_weights_and_works_frozen():
    plain = _adversarial_fit()
    adversarial = _adversarial_fit(adversarial_eps=0.5)
    assert "train_adversarial_loss" not in plain.history_[-1]["batches"][0]
    assert not np.allclose(plain.predict_proba([[2, 3]]), adversarial.predict_proba([[2, 3]]))
    frozen = _adversarial_fit(adversarial_eps=0.5, freeze_embedding=True)
    assert "train_adversarial_loss" in frozen.history_[-1]["batches"][0]


def test_adversarial_step_moves_every_members_embedding_in_an_ensemble():
    from sklearn_rnn._nets import _adversarial_inputs

    clf = _adversarial_fit(adversarial_eps=0.05, ensemble_size=2)
    members = clf.net_.module_.members
    assert _adversarial_inputs(clf.net_.module_) == [m.encoder.embedding for m in members]
    moved = []
    for member in members:  # what each member's layers read, after the step's move
        dropout = member.encoder.embedding_dropout
        dropout.register_forward_hook(lambda m, inputs, out: moved.append(inputs[0]))
    x, lengths = torch.tensor([[2, 3], [4, 5]]), torch.tensor([2, 2])
    batch = {"x": x, "lengths": lengths, "sample_weight": torch.ones(2)}
    clf.net_.module_.train()
    clf.net_.backward_loss(batch, torch.tensor([1, 0]))
    # Clean pass, then the adversarial pass: each member's vectors moved.
    assert len(moved) == 4
    for clean, adversarial in zip(moved[:2], moved[2:]):
        assert not torch.allclose(clean, adversarial)
    for record in (b for epoch in clf.history_ for b in epoch["batches"]):
        assert record["train_adversarial_loss"] > record["train_loss"]


def test_ensemble_averages_its_members_logits():
    X = _ids([3, 7, 1, 5, 2, 6] * 4)
    y = np.array(["a", "b", "c"] * 8)
    # On the CPU: the module is called on CPU tensors below.
    clf = RNNClassifier(**FAST, ensemble_size=3, device="cpu").fit(X, y)
    module = clf.net_.module_.eval()
    assert len(module.members) == 3
    first, second = (m.encoder.forward_layers[0].weight_hh_l0 for m in module.members[:2])
    assert not torch.equal(first, second)  # each member from its own start
    x = torch.from_numpy(pad_sequences(X, padding="post"))
    lengths = torch.tensor([len(s) for s in X])
    with torch.no_grad():
        logits = torch.stack([m(x, lengths) for m in module.members], dim=1).mean(dim=1)
    np.testing.assert_allclose(clf.predict_proba(X), logits.softmax(-1).numpy(), rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[logits.argmax(-1).numpy()])
    assert clf.transform(X).shape == (len(X), 3 * 2 * 8)  # members x directions x hidden
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_ensemble_trains_each_member_on_its_own_weighted_loss():
    X = _ids([3, 7, 1, 5, 2, 6, 4, 3] * 3)
    y = np.array([0, 0, 0, 1] * 6)
    clf = RNNClassifier(**FAST, ensemble_size=3, class_weight="balanced", device="cpu").fit(X, y)
    net, module = clf.net_, clf.net_.module_.train()
    for member in module.members:  # the same outputs in both passes: no feature dropped
        member.ngrams.dropout = 0.0
    x = torch.from_numpy(pad_sequences(X, padding="post"))
    lengths = torch.tensor([len(s) for s in X])
    target, weights = torch.as_tensor(y), torch.linspace(0.5, 2, len(y))
    batch = {"x": x, "lengths": lengths, "sample_weight": weights}
    module.zero_grad()
    net.get_loss(module(x, lengths), target, X=batch, training=True).backward()
    member = module.members[1]
    ensemble_grads = [p.grad.clone() for p in member.parameters()]
    # Member 1 alone, on its own class- and sample-weighted cross-entropy: the
    # same gradient over 3 (the members' losses are averaged per sample).
    module.zero_grad()
    class_weight = torch.as_tensor(clf.class_weight_, dtype=torch.float32)
    losses = torch.nn.functional.cross_entropy(
        member(x, lengths), target, weight=class_weight, reduction="none"
    )
    ((losses * weights).sum() / (weights * class_weight[target]).sum()).backward()
    for got, alone in zip(ensemble_grads, member.parameters()):
        torch.testing.assert_close(got, alone.grad / 3, rtol=1e-4, atol=1e-7)


def test_auto_ensemble_size_trains_two_networks_on_small_data_and_one_on_large(monkeypatch):
    X = _ids([3, 7, 1, 5, 2, 6] * 4)  # 96 tokens in all
    y = np.array(["a", "b"] * 12)
    small = RNNClassifier(**FAST, ensemble_size="auto").fit(X, y)
    assert small.ensemble_size_ == 2 and len(_members(small)) == 2
    # The count covers every sequence given to fit, the validation split too.
    monkeypatch.setattr(classifier_module, "AUTO_ENSEMBLE_TOKENS", 95)
    large = RNNClassifier(**{**FAST, "early_stopping": True}, ensemble_size="auto").fit(X, y)
    assert large.ensemble_size_ == 1 and len(_members(large)) == 1
    assert large.get_params()["ensemble_size"] == "auto"  # the parameter stays as given
    fixed = RNNClassifier(**FAST, ensemble_size=3).fit(X, y)
    assert fixed.ensemble_size_ == 3 and len(_members(fixed)) == 3
    with pytest.raises(ValueError, match="ensemble_size"):
        RNNClassifier(ensemble_size="many").fit(X, y)


def test_ensemble_of_multilabel_classifiers():
    X, Y = _multilabel_corpus(60)
    model = make_pipeline(TextTokenizer(), RNNClassifier(**FAST, ensemble_size=2)).fit(X, Y)
    assert model.predict_proba(X).shape == Y.shape
    assert set(np.unique(model.predict(X))) <= {0, 1}


def test_adversarial_training_needs_token_input():
    X = np.random.default_rng(0).normal(size=(8, 5, 2)).astype(np.float32)
    with pytest.raises(ValueError, match="adversarial_eps perturbs the embedded tokens"):
        RNNClassifier(adversarial_eps=1.0, max_epochs=1).fit(X, [0, 1] * 4)


@pytest.mark.parametrize("ngrams", [1, 2])
@pytest.mark.parametrize("ensemble_size", [1, 2])
def test_linear_ngrams_path_learns_words_and_never_reads_padding(ngrams, ensemble_size):
    # Class 1 holds word 4 somewhere among fillers, class 0 word 5: a bag of words task.
    rng = np.random.default_rng(0)
    X = [rng.integers(6, 30, size=rng.integers(3, 12)) for _ in range(200)]
    y = rng.integers(0, 2, size=200)
    for seq, label in zip(X, y):
        seq[rng.integers(len(seq))] = 4 if label else 5
    X = as_ragged(X)
    params = {**FAST, "max_epochs": 5, "ensemble_size": ensemble_size}
    clf = RNNClassifier(linear_ngrams=ngrams, **params).fit(X, y)
    for member in _members(clf):
        weight = member.ngrams.weight.detach()
        # The path has learned which word marks which class (logits: class 0, class 1).
        assert weight[4, 1] - weight[4, 0] > 0 > weight[5, 1] - weight[5, 0]
        buckets = classifier_module._ngram_buckets(X) if ngrams == 2 else 0
        assert weight.shape[0] == clf.num_embeddings_ + buckets
    assert clf.score(X, y) > 0.95
    Q = X[:5]
    alone = np.vstack([clf.predict_proba(Q[i : i + 1]) for i in range(len(Q))])
    for other in (
        clf.predict_proba(Q),
        clf.predict_proba(SequencePadder(maxlen=15, padding="pre").fit_transform(Q)),
        clf.predict_proba(SequencePadder(maxlen=15, padding="post").fit_transform(Q)),
    ):
        np.testing.assert_allclose(alone, other, atol=ROUNDING)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(Q), clf.predict_proba(Q))
    # Off, the model is the network alone, as before the parameter existed.
    plain = RNNClassifier(**params, linear_ngrams=0).fit(X, y)
    assert all(member.ngrams is None for member in _members(plain))


def test_ngram_buckets_hold_twice_the_distinct_pairs_as_a_power_of_two():
    buckets = classifier_module._ngram_buckets
    assert buckets([np.array([3, 4, 3, 4, 3])], low=1) == 4  # pairs (3, 4), (4, 3)
    assert buckets([np.arange(1, 1002)], low=1) == 2048  # 1,000 distinct pairs
    assert buckets([np.arange(1, 1002)]) == 2048
    assert buckets([np.arange(1, 1002)], high=1024) == 1024
    assert buckets([np.array([5]), np.array([], dtype=np.int64)]) == 2**10  # no pairs


def test_linear_ngrams_reads_token_input_only_and_is_one_or_two():
    X = np.random.default_rng(0).normal(size=(8, 5, 2)).astype(np.float32)
    clf = RNNClassifier(linear_ngrams=2, max_epochs=1, ensemble_size=1).fit(X, [0, 1] * 4)
    assert clf.net_.module_.ngrams is None  # numeric steps have no words
    with pytest.raises(ValueError, match="linear_ngrams"):
        RNNClassifier(linear_ngrams=3, max_epochs=1).fit(_ids([3, 4]), [0, 1])


def _multilabel_corpus(n, seed=0):
    """Texts with up to three topics, each marked by its own word; y an indicator matrix."""
    from sklearn.preprocessing import MultiLabelBinarizer

    rng = np.random.default_rng(seed)
    markers = {"quality": "good", "speed": "fast", "price": "cheap"}
    texts, tags = [], []
    for _ in range(n):
        words, topics = list(rng.choice(["the", "a", "it", "was", "so"], 4)), set()
        for topic, marker in markers.items():
            if rng.random() < 0.5:
                words.insert(rng.integers(0, len(words) + 1), marker)
                topics.add(topic)
        texts.append(" ".join(words))
        tags.append(topics)
    binarizer = MultiLabelBinarizer(classes=sorted(markers))
    return texts, binarizer.fit_transform(tags)


def test_multilabel_indicator_targets_get_one_sigmoid_per_label():
    from sklearn.metrics import f1_score, hamming_loss
    from sklearn.pipeline import make_pipeline

    from sklearn_rnn import TextTokenizer

    texts, Y = _multilabel_corpus(260)
    model = make_pipeline(TextTokenizer(), RNNClassifier(random_state=0, max_epochs=30))
    model.fit(texts[:200], Y[:200])
    predicted, proba = model.predict(texts[200:]), model.predict_proba(texts[200:])
    assert predicted.shape == proba.shape == (60, 3)
    assert set(np.unique(predicted)) <= {0, 1} and ((proba >= 0) & (proba <= 1)).all()
    # Labels are independent: rows of probabilities need not sum to 1.
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.5
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert f1_score(Y[200:], predicted, average="micro") > 0.95
    assert hamming_loss(Y[200:], predicted) < 0.05
    assert model.score(texts[200:], Y[200:]) > 0.9  # subset accuracy, as in scikit-learn
    network = model[-1]
    assert list(network.classes_) == [0, 1, 2] and "valid_acc" not in network.history_[-1]


@pytest.mark.parametrize(
    "y, params, match",
    [
        (np.array([[0, 2], [1, 0]] * 4), {}, "A 2-D y must be a binary indicator matrix"),
        (np.array([[0, 1], [1, 0]] * 4), {"class_weight": "balanced"}, "class_weight is for"),
    ],
)
def test_multilabel_bad_targets_get_clear_errors(y, params, match):
    X = as_ragged([np.array([4, 5]), np.array([6])] * 4)
    with pytest.raises(ValueError, match=match):
        RNNClassifier(max_epochs=1, **params).fit(X, y)


class _ValidationSize(Callback):
    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.sizes_ = (len(dataset_train), len(dataset_valid))


def _mask_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = as_ragged([rng.integers(4, 20, size=rng.integers(2, 7)) for _ in range(n)])
    y = np.array([int(s.max() >= 12) for s in X])
    return X, y


def test_validation_mask_is_a_fixed_validation_set_never_trained_on():
    X, y = _mask_data()
    mask = np.arange(60) >= 45
    kw = dict(max_epochs=2, hidden_size=8, random_state=0)
    model = RNNClassifier(callbacks=[("size", _ValidationSize())], **kw)
    model.fit(X, y, validation_mask=mask)
    assert model.net_.callbacks_[-2][1].sizes_ == (45, 15)
    # Other labels on the validation samples: training is the same, validation is not.
    flipped = np.where(mask, 1 - y, y)
    other = RNNClassifier(**kw).fit(X, flipped, validation_mask=mask)
    assert other.history_[0, "train_loss"] == pytest.approx(model.history_[0, "train_loss"])
    assert other.history_[0, "valid_loss"] != pytest.approx(model.history_[0, "valid_loss"])


def test_validation_mask_is_routed_through_a_pipeline_and_sliced_by_cross_validation():
    from sklearn import config_context
    from sklearn.model_selection import KFold, cross_validate

    from sklearn_rnn import SequencePadder

    X, y = _mask_data(90)
    mask = np.arange(90) % 3 == 0  # a third of the samples, in every fold
    with config_context(enable_metadata_routing=True):
        network = RNNClassifier(
            max_epochs=1, hidden_size=4, random_state=0, callbacks=[("size", _ValidationSize())]
        ).set_fit_request(validation_mask=True)
        pipe = make_pipeline(SequencePadder(maxlen=6), network)
        result = cross_validate(
            pipe, X, y, cv=KFold(3), params={"validation_mask": mask}, return_estimator=True
        )
    for fitted in result["estimator"]:  # 60 training samples per fold, 20 of them marked
        assert fitted[-1].net_.callbacks_[-2][1].sizes_ == (40, 20)


@pytest.mark.parametrize(
    "mask, params, match",
    [
        (np.ones(60, dtype=bool), {}, "marks 60 of 60 samples for validation"),
        (np.arange(60) % 2, {}, "must be a boolean array of shape \\(60,\\)"),
        (np.arange(60) < 10, {"early_stopping": False}, "this fit has early_stopping=False"),
    ],
)
def test_validation_mask_errors(mask, params, match):
    X, y = _mask_data()
    with pytest.raises(ValueError, match=match):
        RNNClassifier(max_epochs=1, **params).fit(X, y, validation_mask=mask)


def test_successive_halving_spends_epochs_on_the_promising_candidates():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X, y = _mask_data(80)
    search = HalvingGridSearchCV(
        RNNClassifier(random_state=0, early_stopping=False),
        {"hidden_size": [2, 8, 16, 32]},
        resource="max_epochs",  # epochs are the budget
        min_resources=2,
        max_resources=8,
        factor=2,
        cv=2,
    ).fit(X, y)
    assert list(search.n_resources_) == [2, 4, 8]
    assert list(search.n_candidates_) == [4, 2, 1]
    assert search.best_estimator_.max_epochs == 8
    assert len(search.best_estimator_.history_) == 8
