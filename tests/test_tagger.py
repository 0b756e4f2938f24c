import copy
import pickle
import zlib

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.utils import estimator_checks

from sklearn_rnn import RNNTagger
from sklearn_rnn._batching import IGNORE_LABEL, collate_tagged
from sklearn_rnn._nets import TaggerNet
from sklearn_rnn._sequences import BOS_ID, EOS_ID, N_RESERVED, OOV_ID
from sklearn_rnn.metrics import entity_f1_scorer, tag_accuracy_score
from sklearn_rnn.modules import LinearTokenFeatures
from sklearn_rnn.tagger import (
    LINEAR_COLUMNS,
    N_CASINGS,
    N_LINEAR,
    _affixes,
    _casing,
    _linear_features,
    _linear_hashes,
    _linear_ids,
    _linear_index,
)

SMALL = dict(hidden_size=16, num_layers=1, embedding_dim=8, char_embedding_dim=8, char_size=8)

# A toy language whose tags follow the word's ending: verbs end in -ing, adverbs in -ly.
STEMS = [
    "walk", "talk", "jump", "read", "sing", "play", "cook", "paint", "swim", "build",
    "write", "draw", "run", "sleep", "eat", "climb", "drive", "fly", "dance", "laugh",
]  # fmt: skip


def _toy_sentences(stems, seed):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(150):
        words, tags = [], []
        for _ in range(rng.integers(2, 7)):
            stem = stems[rng.integers(len(stems))]
            kind = rng.integers(3)
            words.append(stem + ["ing", "ly", "er"][kind])
            tags.append(["VERB", "ADV", "NOUN"][kind])
        X.append(words)
        y.append(tags)
    return X, y


TRAIN_X, TRAIN_Y = _toy_sentences(STEMS[:14], seed=0)
UNSEEN_X, UNSEEN_Y = _toy_sentences(STEMS[14:], seed=1)  # every word new


def test_tagger_predicts_one_label_per_step_with_probabilities():
    tagger = RNNTagger(max_epochs=3, random_state=0, **SMALL).fit(TRAIN_X, TRAIN_Y)
    pred = tagger.predict(TRAIN_X[:5])
    assert pred.dtype == object and len(pred) == 5
    assert [len(p) for p in pred] == [len(x) for x in TRAIN_X[:5]]
    assert set(np.concatenate(pred)) <= {"ADV", "NOUN", "VERB"}
    proba = tagger.predict_proba(TRAIN_X[:5])
    assert all(p.shape == (len(x), 3) for p, x in zip(proba, TRAIN_X[:5]))
    np.testing.assert_allclose(np.concatenate(proba).sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(
        tagger.classes_[np.concatenate(proba).argmax(axis=1)], np.concatenate(pred)
    )
    # An empty sequence has nothing to tag.
    assert len(tagger.predict([[], ["walking"]])[0]) == 0


@pytest.mark.parametrize("char_encoder", ["cnn", "lstm"])
def test_character_features_tag_words_never_seen_in_training(char_encoder):
    # Without the linear path, whose suffix features would tag them too.
    params = dict(
        char_encoder=char_encoder, max_epochs=40, early_stopping=False, random_state=0, **SMALL
    )
    params["linear_features"] = False
    with_chars = RNNTagger(**params).fit(TRAIN_X, TRAIN_Y)
    assert with_chars.score(TRAIN_X, TRAIN_Y) > 0.99
    assert with_chars.score(UNSEEN_X, UNSEEN_Y) > 0.95
    # Without the characters every unseen word is the same unknown word.
    words_only = RNNTagger(**{**params, "char_size": 0}).fit(TRAIN_X, TRAIN_Y)
    assert words_only.char_vocabulary_ is None
    assert words_only.score(UNSEEN_X, UNSEEN_Y) < 0.6


def test_affix_features_are_a_words_prefixes_suffixes_and_shape():
    expected = ("p1:a", "p2:ap", "p3:app", "s1:e", "s2:le", "s3:ple", "shape:Xxxxx")
    assert _affixes("Apple") == expected
    assert _affixes("1999.50")[-1] == "shape:dddd.dd"  # runs cut at four
    assert _affixes("U.S.")[-1] == "shape:X.X."
    assert _affixes("a") == ("p1:a", "p2:a", "p3:a", "s1:a", "s2:a", "s3:a", "shape:x")


def test_affix_features_tag_words_never_seen_in_training_without_characters():
    params = dict(max_epochs=40, early_stopping=False, random_state=0, **SMALL)
    tagger = RNNTagger(**{**params, "char_size": 0, "affix_embedding_dim": 8})
    tagger.fit(TRAIN_X, TRAIN_Y)
    assert tagger.char_vocabulary_ is None
    # "-ing", "-ly" and "-er" are shared by many word types; each stem's own
    # three-letter prefix by three, so it is known too.
    assert {"s3:ing", "s2:ly", "s2:er", "shape:xxxx"} <= set(tagger.affix_vocabulary_)
    assert tagger.score(UNSEEN_X, UNSEEN_Y) > 0.95
    restored = pickle.loads(pickle.dumps(tagger))
    np.testing.assert_array_equal(
        np.concatenate(restored.predict_proba(UNSEEN_X[:5])),
        np.concatenate(tagger.predict_proba(UNSEEN_X[:5])),
    )


def test_affix_ids_sit_between_the_word_id_and_its_characters():
    X = [["Walking", "talking"], ["walking", "Sings"]]
    tagger = RNNTagger(
        affix_embedding_dim=4,
        linear_features=False,  # its columns come first (tested below)
        max_epochs=1,
        early_stopping=False,
        random_state=0,
        **SMALL,
    )
    tagger.fit(X, [["VERB", "NOUN"], ["VERB", "NOUN"]])
    tagger.net_.module_.cpu()  # the module reads a CPU batch below
    encoded = tagger._encode(["Walking", "zzz"])
    vocab, affixes = tagger.vocabulary_, tagger.affix_vocabulary_
    assert encoded[0, 0] == vocab["walking"]
    # Shared by two word types ("walking", "talking"): its own row; "sings"'s alone: OOV.
    assert encoded[0, 1:8].tolist() == [affixes.get(f, OOV_ID) for f in _affixes("Walking")]
    assert encoded[0, 4] == affixes["s1:g"]
    assert "s1:s" not in affixes and "shape:Xxxxx" in affixes
    chars = tagger.char_vocabulary_
    assert encoded[0, 8:].tolist() == [BOS_ID, *[chars[c] for c in "Walking"], EOS_ID]
    assert encoded[1, 1:8].tolist() == [OOV_ID] * 7  # nothing known of "zzz"
    # The module reads 7 affix embeddings of width 4 beside the word and characters.
    batch, _ = collate_tagged([(encoded, None, 1.0)])
    h = tagger.net_.module_.features(batch["x"], batch["lengths"], batch["chars"])
    assert h.shape == (1, 2, SMALL["embedding_dim"] + 7 * 4 + SMALL["char_size"])
    # No feature shared by two word types: every word reads the unknown rows.
    lone = RNNTagger(
        affix_embedding_dim=4, linear_features=False, max_epochs=1, early_stopping=False, **SMALL
    )
    lone.fit([["A", "1"]] * 4, [["X", "NUM"]] * 4)
    assert lone.affix_vocabulary_ == {}
    assert lone._encode(["A"])[0, 1:8].tolist() == [OOV_ID] * 7
    assert lone.net_.module_.affixes.num_embeddings == N_RESERVED


def test_casing_classes_are_letter_case_times_digit_share():
    classes = {w: _casing(w) for w in ["cat", "NATO", "E17", "Paris", "iPhone", "McDonald"]}
    classes |= {w: _casing(w) for w in ["1999", "3rd", "01-feb-02", "------", "Cat", "DOG"]}
    assert classes["cat"] != classes["Cat"] != classes["DOG"] != classes["cat"]
    assert classes["Paris"] == classes["Cat"] and classes["NATO"] == classes["DOG"]
    assert classes["iPhone"] == classes["McDonald"] != classes["Paris"]
    # Digits split each letter case: "E17" is uppercase like "NATO", mostly digits like "1999".
    assert classes["E17"] not in (classes["NATO"], classes["1999"])
    assert classes["3rd"] == classes["01-feb-02"] != classes["cat"]
    assert len(set(classes.values())) == 8
    assert all(1 <= c <= N_CASINGS for c in classes.values())


def test_casing_feature_tags_unseen_words_by_their_case_alone():
    # Capitalised words are names, lowercase ones nouns; no characters, affixes
    # or known words tell them apart: only the casing feature does.
    rng = np.random.default_rng(0)
    names = [f"Zq{i}x".replace("0", "o") for i in range(40)]
    X = [["see", w] for w in rng.choice(names[:30], 200)] + [
        ["see", w.lower()] for w in rng.choice(names[:30], 200)
    ]
    y = [["VERB", "PROPN"]] * 200 + [["VERB", "NOUN"]] * 200
    params = {**SMALL, "char_size": 0, "max_epochs": 30, "early_stopping": False}
    params.update(random_state=0, linear_features=False)  # the path reads case flags too
    unseen = [["see", w] for w in names[30:]] + [["see", w.lower()] for w in names[30:]]
    truth = [["VERB", "PROPN"]] * 10 + [["VERB", "NOUN"]] * 10
    blind = RNNTagger(**params).fit(X, y)
    cased = RNNTagger(casing_embedding_dim=4, **params).fit(X, y)
    assert cased.net_.module_.casing.num_embeddings == 1 + N_CASINGS
    assert cased.score(unseen, truth) == 1.0
    assert blind.score(unseen, truth) <= 0.75  # half the unseen words are a guess
    encoded = cased._encode(["Zq3x"])
    assert encoded.shape == (1, 2) and encoded[0, 1] == _casing("Zq3x")
    restored = pickle.loads(pickle.dumps(cased))
    np.testing.assert_array_equal(
        np.concatenate(restored.predict_proba(unseen)), np.concatenate(cased.predict_proba(unseen))
    )


def test_casing_id_sits_between_the_affixes_and_the_characters():
    X = [["Walking", "talking"], ["walking", "Sings"]]
    params = dict(max_epochs=1, early_stopping=False, random_state=0, **SMALL)
    tagger = RNNTagger(
        affix_embedding_dim=4, casing_embedding_dim=3, linear_features=False, **params
    )
    tagger.fit(X, [["VERB", "NOUN"], ["VERB", "NOUN"]])
    tagger.net_.module_.cpu()  # the module reads a CPU batch below
    encoded = tagger._encode(["Walking", "zzz"])
    assert encoded[:, 8].tolist() == [_casing("Walking"), _casing("zzz")]
    chars = tagger.char_vocabulary_
    assert encoded[0, 9:].tolist() == [BOS_ID, *[chars[c] for c in "Walking"], EOS_ID]
    batch, _ = collate_tagged([(encoded, None, 1.0)])
    h = tagger.net_.module_.features(batch["x"], batch["lengths"], batch["chars"])
    assert h.shape == (1, 2, SMALL["embedding_dim"] + 7 * 4 + 3 + SMALL["char_size"])


def test_linear_features_are_the_crf_baselines_word_features():
    # str.istitle: "E17" is titlecased, as the CRF reads it.
    assert _linear_features("E17") == (
        "w:e17", "s1:7", "s2:17", "s3:E17", "p1:E", "p2:E1", "p3:E17", "title", "upper",
        "hasdigit",
    )  # fmt: skip
    assert _linear_features("Well-Known")[-2:] == ("title", "hyphen")
    assert _linear_features("1999")[-2:] == ("digit", "hasdigit")
    assert max(len(_linear_features(w)) for w in ["Aa-1", "A-1", "1-A", "AB-1"]) <= N_LINEAR


def test_linear_ids_give_each_feature_of_the_word_and_its_neighbours_its_own_row():
    sentence = ["The", "E17", "runs"]
    index = _linear_index(sentence)
    ids = _linear_ids(sentence, index)
    assert ids.shape == (3, LINEAR_COLUMNS) and ids.min() >= 0 and ids.max() <= len(index)

    def expected(word, where):
        return [
            int(np.searchsorted(index, zlib.crc32(f"{where}|{f}".encode()))) + 1
            for f in _linear_features(word)
        ]

    prev, own, nxt = np.split(ids, 3, axis=1)
    # The middle word: its own features, its left neighbour's as "-1", its right one's as "+1".
    n = len(_linear_features("E17"))
    assert own[1, :n].tolist() == expected("E17", "0") and not own[1, n:].any()
    assert prev[1, : len(_linear_features("The"))].tolist() == expected("The", "-1")
    assert nxt[1, : len(_linear_features("runs"))].tolist() == expected("runs", "+1")
    # The sentence's edges read the markers of the CRF baseline.
    bos, eos = (int(np.searchsorted(index, zlib.crc32(m))) + 1 for m in (b"BOS", b"EOS"))
    assert prev[0].tolist() == [bos] + [0] * (N_LINEAR - 1)
    assert nxt[2].tolist() == [eos] + [0] * (N_LINEAR - 1)
    # Every feature has a row of its own: as many distinct rows as distinct
    # (position, feature) pairs in the sentence.
    pairs = {"BOS", "EOS"}
    for i, word in enumerate(sentence):
        pairs |= {f"0|{f}" for f in _linear_features(word)}
        if i:  # the previous word of word i, and word i as the next of i - 1
            pairs |= {f"-1|{f}" for f in _linear_features(sentence[i - 1])}
            pairs |= {f"+1|{f}" for f in _linear_features(word)}
    assert len(np.unique(ids[ids > 0])) == len(pairs)
    # The same word in the same place has the same ids, in any sentence.
    np.testing.assert_array_equal(_linear_ids(["A", "E17", "runs"], index)[1, 12:], ids[1, 12:])
    # A feature the index lacks reads no row: "A"'s form and affixes were never
    # seen, its flags were ("title" from "The", "upper" from "E17").
    unseen = _linear_ids(["A", "E17", "runs"], index)
    assert _linear_features("A")[7:] == ("title", "upper")
    assert not unseen[0, 12:19].any() and unseen[0, 19:21].all()  # as itself
    assert not unseen[1, :7].any() and unseen[1, 7] == ids[1, 7]  # as E17's left neighbour
    assert not _linear_hashes("E17").flags.writeable  # cached: nobody may change it
    # A tagger fitted before the index folded the hashes into its rows.
    folded = _linear_ids(sentence, buckets=2**12)
    assert folded[1, 12] == zlib.crc32(b"0|w:e17") % (2**12 - 1) + 1


def test_linear_index_holds_each_distinct_feature_once_up_to_its_limit():
    edges = _linear_index([])
    assert len(edges) == 2  # BOS and EOS
    words = [f"w{i}" for i in range(5000)]
    hashes = np.concatenate([_linear_hashes(w).ravel() for w in words])
    index = _linear_index(words)
    assert len(index) == 2 + len(np.unique(hashes[hashes >= 0]))
    assert (np.diff(index) > 0).all()  # sorted, no repeats
    # Beyond the limit the features most words share stay: the shared prefix
    # "w" and suffixes such as "w1" (as a prefix), not a single word's form.
    small = _linear_index(words, high=2**8)
    assert len(small) == 2**8 - 1 and set(small) <= set(index)
    assert zlib.crc32(b"0|p1:w") in small and zlib.crc32(b"0|w:w4321") not in small


def test_linear_token_features_sum_the_rows_of_the_active_features():
    layer = LinearTokenFeatures(10, 3, dropout=0.5)
    with torch.no_grad():
        layer.weight.copy_(torch.arange(30.0).reshape(10, 3))
    ids = torch.tensor([[[1, 2, 0], [0, 0, 0]]])
    layer.eval()
    out = layer(ids).detach()
    np.testing.assert_allclose(out[0, 0], (layer.weight[1] + layer.weight[2]).detach())
    np.testing.assert_allclose(out[0, 1], 0.0)  # no feature, no score (row 0 is not read)
    # Training drops features at random, keeping the expectation.
    layer.train()
    torch.manual_seed(0)
    many = torch.tensor([[[1, 2, 0]] * 20000])
    mean = layer(many)[0].mean(0)
    np.testing.assert_allclose(mean.detach(), out[0, 0], rtol=0.03)
    assert len({tuple(r.tolist()) for r in layer(many)[0, :50]}) > 1
    # Padding (id 0) never learns.
    layer(ids).sum().backward()
    assert not layer.weight.grad[0].any() and layer.weight.grad[1].any()


def test_linear_features_tag_unseen_words_from_their_spelling(capsys):
    # Each word's tag follows its ending, which the path reads as a suffix
    # feature; every test word is new. Without characters, word features or
    # the path, the network alone sees only out-of-vocabulary rows.
    params = dict(max_epochs=15, early_stopping=False, random_state=0, **{**SMALL, "char_size": 0})
    alone = RNNTagger(linear_features=False, **params).fit(TRAIN_X, TRAIN_Y)
    linear = RNNTagger(**params).fit(TRAIN_X, TRAIN_Y)  # the default
    assert linear.score(UNSEEN_X, UNSEEN_Y) > 0.95 > alone.score(UNSEEN_X, UNSEEN_Y) + 0.2
    words = {w for s in TRAIN_X for w in s}
    rows = len(_linear_index(words)) + 1
    assert linear.linear_buckets_ == rows == len(linear.linear_index_) + 1
    assert linear.net_.module_.linear.weight.shape == (rows, 3)
    linear.summary()  # the path is a layer of its own, with a score per label and step
    row = next(r for r in capsys.readouterr().out.splitlines() if "LinearTokenFeatures" in r)
    assert "(None, None, 3)" in row and f"{rows * 3:,}" in row
    restored = pickle.loads(pickle.dumps(linear))
    np.testing.assert_array_equal(
        np.concatenate(restored.predict_proba(UNSEEN_X)),
        np.concatenate(linear.predict_proba(UNSEEN_X)),
    )


def test_linear_features_are_ignored_for_token_ids_and_numbers():
    # As the character features: the default tagger reads these too.
    params = dict(max_epochs=1, early_stopping=False, random_state=0, **SMALL)
    for X in ([[3, 4, 5]] * 4, np.ones((4, 3, 2), dtype=np.float32)):
        tagger = RNNTagger(**params).fit(X, [["x", "y", "x"]] * 4)
        assert tagger.linear_features and tagger.linear_buckets_ is None
        assert tagger.linear_index_ is None
        assert tagger.net_.module_.linear is None
        assert [len(p) for p in tagger.predict(X)] == [3] * 4


def test_linear_ids_sit_between_the_word_and_the_affixes():
    X = [["Walking", "talking"], ["walking", "Sings"]]
    params = dict(max_epochs=1, early_stopping=False, random_state=0, **SMALL)
    tagger = RNNTagger(
        linear_features=True, affix_embedding_dim=4, casing_embedding_dim=3, **params
    )
    tagger.fit(X, [["VERB", "NOUN"], ["VERB", "NOUN"]])
    tagger.net_.module_.cpu()
    encoded = tagger._encode(["Walking", "zzz"])
    k = 1 + LINEAR_COLUMNS
    np.testing.assert_array_equal(
        encoded[:, 1:k], _linear_ids(["Walking", "zzz"], tagger.linear_index_)
    )
    # A tagger pickled before the index (stop 60) folds the hashes into its rows.
    legacy = copy.deepcopy(tagger)
    del legacy.linear_index_
    np.testing.assert_array_equal(
        legacy._encode(["Walking", "zzz"])[:, 1:k],
        _linear_ids(["Walking", "zzz"], buckets=tagger.linear_buckets_),
    )
    assert [len(p) for p in legacy.predict(X)] == [2, 2]
    affixes = tagger.affix_vocabulary_
    assert encoded[0, k : k + 7].tolist() == [affixes.get(f, OOV_ID) for f in _affixes("Walking")]
    assert encoded[:, k + 7].tolist() == [_casing("Walking"), _casing("zzz")]
    chars = tagger.char_vocabulary_
    assert encoded[0, k + 8 :].tolist() == [BOS_ID, *[chars[c] for c in "Walking"], EOS_ID]
    # The network's input is what it was without the path.
    batch, _ = collate_tagged([(encoded, None, 1.0)])
    module = tagger.net_.module_.eval()
    h = module.features(batch["x"], batch["lengths"], batch["chars"][..., LINEAR_COLUMNS:])
    assert h.shape == (1, 2, SMALL["embedding_dim"] + 7 * 4 + 3 + SMALL["char_size"])
    with torch.no_grad():
        scores = module(batch["x"], batch["lengths"], batch["chars"])
        states, _ = module.encoder.steps(h, batch["lengths"], aligned=True)
        network = module.output(states)
        path = module.linear(batch["chars"][..., :LINEAR_COLUMNS])
    torch.testing.assert_close(scores, network + path)


def test_padding_never_changes_a_prediction():
    # Two stacked layers, as by default: padding must not reach the upper layer either.
    params = {**SMALL, "num_layers": 2}
    tagger = RNNTagger(max_epochs=2, random_state=0, **params).fit(TRAIN_X, TRAIN_Y)
    short = [["walking", "talkly"]]
    alone = tagger.predict_proba(short)[0]
    # In a batch with a longer sentence (and longer words), the short one is padded.
    batch = short + [["paintingly"] * 9]
    for bucket in (True, False):
        tagger.set_params(bucket_by_length=bucket)
        np.testing.assert_allclose(tagger.predict_proba(batch)[0], alone, rtol=1e-5, atol=1e-6)


def _loss_only_net():
    """A TaggerNet whose get_loss is tested directly (its module is never run)."""
    return TaggerNet(
        module=torch.nn.Linear,
        module__in_features=2,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        criterion__reduction="none",
    ).initialize()


def test_tagging_loss_averages_the_labelled_steps_only():
    batch = [
        (np.array([4, 5, 6]), np.array([0, 1, 1]), 1.0),
        (np.array([4]), np.array([1]), 3.0),
    ]
    X, y = collate_tagged(batch)
    assert y.tolist() == [[0, 1, 1], [1, IGNORE_LABEL, IGNORE_LABEL]]
    net = _loss_only_net()
    logits = torch.randn(2, 3, 2)
    loss = net.get_loss(logits, y, X=X)
    steps = torch.nn.functional.cross_entropy(logits[0], y[0], reduction="none")
    last = torch.nn.functional.cross_entropy(logits[1, :1], y[1, :1], reduction="none")
    expected = (steps.sum() + 3.0 * last.sum()) / (3 + 3.0)
    torch.testing.assert_close(loss, expected)


def test_numeric_sequences_with_per_step_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12, 1)).astype(np.float32)
    y = [np.where(x[:, 0] > 0, "up", "down") for x in X]
    tagger = RNNTagger(hidden_size=16, max_epochs=30, random_state=0).fit(X, y)
    assert tagger.vocabulary_ is None and tagger.n_features_in_ == 1
    assert tagger.score(X, y) > 0.95
    # Ragged numeric sequences too.
    ragged = [x[: 5 + i % 7] for i, x in enumerate(X[:20])]
    assert [len(p) for p in tagger.predict(ragged)] == [len(r) for r in ragged]


def test_pretrained_vectors_reach_words_training_never_saw():
    vectors = {"walking": [1.0, 0.0], "slowly": [0.0, 1.0], "swimming": [1.0, 0.1]}
    tagger = RNNTagger(
        vectors=vectors, freeze_embedding=True, max_epochs=2, random_state=0, **SMALL
    ).fit(TRAIN_X, TRAIN_Y)
    # "swimming" never occurs in training: it joins the vocabulary with its vector.
    assert "swimming" in tagger.vocabulary_ and "swimming" not in {w for s in TRAIN_X for w in s}
    module = tagger.net_.module_
    row = module.embed_words(
        torch.tensor([tagger.vocabulary_["swimming"]], device=module.embedding.weight.device)
    )
    np.testing.assert_allclose(row.detach().cpu().numpy(), [[1.0, 0.1]])
    # Its row is not trained (the optimizer holds only the training words' rows).
    assert module.embedding.num_embeddings == 4 + 42
    assert not module.extra_embedding.weight.requires_grad
    assert tagger.vectors_found_ == pytest.approx(1 / 42)  # "walking" of 42 training words
    assert tagger.net_.module_.embedding.embedding_dim == 2


def test_adversarial_step_perturbs_word_and_character_vectors_up_the_loss():
    # No dropout: the two passes differ only by the perturbation, which must
    # point up the loss (a sign error would make it a descent step).
    params = dict(SMALL, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0)
    tagger = RNNTagger(
        adversarial_eps=0.05, max_epochs=2, early_stopping=False, random_state=0, **params
    )
    tagger.fit(TRAIN_X[:40], TRAIN_Y[:40])
    batches = [b for epoch in tagger.history_ for b in epoch["batches"]]
    assert batches
    for batch in batches:
        assert batch["train_adversarial_loss"] > batch["train_loss"]
    # The perturbed point is each step's whole vector: word embedding and characters.
    module = tagger.net_.module_
    seen = []
    module.adversarial_input.register_forward_hook(lambda m, i, out: seen.append(out.shape))
    tagger.predict(TRAIN_X[:2])
    assert seen and seen[0][-1] == SMALL["embedding_dim"] + SMALL["char_size"]


def test_adversarial_training_changes_the_fit_and_needs_words_or_ids():
    params = dict(max_epochs=2, early_stopping=False, random_state=0, **SMALL)
    plain = RNNTagger(**params).fit(TRAIN_X, TRAIN_Y)
    adversarial = RNNTagger(adversarial_eps=0.5, **params).fit(TRAIN_X, TRAIN_Y)
    assert "train_adversarial_loss" not in plain.history_[-1]["batches"][0]
    assert not np.allclose(
        np.concatenate(plain.predict_proba(UNSEEN_X[:5])),
        np.concatenate(adversarial.predict_proba(UNSEEN_X[:5])),
    )
    # Token ids (no characters): the word embedding alone is perturbed.
    ids = [np.arange(1, len(s) + 1) for s in TRAIN_Y[:30]]
    by_ids = RNNTagger(adversarial_eps=0.1, **params).fit(ids, TRAIN_Y[:30])
    assert "train_adversarial_loss" in by_ids.history_[-1]["batches"][0]
    X = np.random.default_rng(0).normal(size=(8, 5, 2)).astype(np.float32)
    with pytest.raises(ValueError, match="adversarial_eps perturbs the vectors of words"):
        RNNTagger(adversarial_eps=0.1, max_epochs=1).fit(X, [[0, 1, 0, 1, 0]] * 8)


def test_tagger_in_cross_validation_and_grid_search():
    tagger = RNNTagger(max_epochs=2, random_state=0, **SMALL)
    scores = cross_val_score(tagger, TRAIN_X, TRAIN_Y, cv=KFold(3))
    assert scores.shape == (3,) and (scores > 0.3).all()
    # Entity-level F1 of BIO tags: the verbs as one-word entities.
    bio = [["B-V" if t == "VERB" else "O" for t in tags] for tags in TRAIN_Y]
    search = GridSearchCV(tagger, {"hidden_size": [8, 16]}, cv=2, scoring=entity_f1_scorer)
    search.fit(TRAIN_X, bio)
    assert 0 <= search.best_score_ <= 1 and search.best_params_["hidden_size"] in (8, 16)


def test_tagger_clone_and_summary(capsys):
    tagger = RNNTagger(max_epochs=1, random_state=0, **SMALL).fit(TRAIN_X, TRAIN_Y)
    assert clone(tagger).get_params() == tagger.get_params()
    tagger.summary()
    out = capsys.readouterr().out
    assert "chars.conv (Conv1d)" in out and "output (Linear)" in out


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        ([["a", "b"]], [["X"]], ValueError, "Sequence 0 has 2 steps but 1 labels"),
        (["a b", "c"], [["X", "Y"], ["X"]], TypeError, "Sequence 0 is a string"),
        ([["a", "b"]], [["X", "X"]], ValueError, "one label only"),
        ([["a", 3]], [["X", "Y"]], TypeError, "holds int 3 at step 1"),
        ([["a", ""]], [["X", "Y"]], ValueError, "empty word at step 1"),
        ([["a"], ["b"]], [["X"]], ValueError, "X holds 2 sequences but y holds 1"),
        ([["a", "b"]], "XY", TypeError, "y must be a collection of label sequences"),
    ],
)
def test_tagger_bad_input(X, y, error, match):
    with pytest.raises(error, match=match):
        RNNTagger(max_epochs=1, **SMALL).fit(X, y)


def test_tagger_refuses_input_unlike_its_training():
    tagger = RNNTagger(max_epochs=1, random_state=0, **SMALL).fit(TRAIN_X, TRAIN_Y)
    with pytest.raises(TypeError, match="fitted on word sequences"):
        tagger.predict(np.ones((2, 3, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="the label 'PRON', which the first fit did not see"):
        tagger.partial_fit([["walking"]], [["PRON"]])
    with pytest.raises(ValueError, match="vectors gives words their pretrained vectors"):
        RNNTagger(vectors={"a": [1.0]}, max_epochs=1).fit(
            np.ones((4, 3, 1), dtype=np.float32), [["x", "y", "x"]] * 4
        )
    with pytest.raises(ValueError, match="affix_embedding_dim reads each word's prefixes"):
        RNNTagger(affix_embedding_dim=4, max_epochs=1).fit([[3, 4, 5]] * 4, [["x", "y", "x"]] * 4)
    with pytest.raises(ValueError, match="casing_embedding_dim reads the case"):
        RNNTagger(casing_embedding_dim=4, max_epochs=1).fit([[3, 4, 5]] * 4, [["x", "y", "x"]] * 4)


@pytest.mark.parametrize(
    "check",
    [
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimator_repr",
        "check_estimator_cloneable",
        "check_valid_tag_types",
    ],
)
def test_shape_independent_sklearn_checks(check):
    getattr(estimator_checks, check)("RNNTagger", RNNTagger())


def test_tag_accuracy_needs_aligned_sequences():
    assert tag_accuracy_score([["A", "B"]], [np.array(["A", "C"])]) == 0.5
    with pytest.raises(ValueError, match="Sequence 0 has 2 reference tags but 1 predicted"):
        tag_accuracy_score([["A", "B"]], [["A"]])


def _bio_sentences(n, seed):
    """Toy entities: a run of names is B-PER I-PER ..., the rest O (never two runs in a row)."""
    rng = np.random.default_rng(seed)
    names = ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]
    others = ["met", "saw", "and", "then", "the", "dog", "ran", "home", "with"]
    X, y = [], []
    for _ in range(n):
        words, tags = [], []
        for _ in range(rng.integers(2, 6)):
            if rng.random() < 0.4:
                run = rng.integers(1, 4)
                words += [*map(str, rng.choice(names, run)), str(rng.choice(others))]
                tags += ["B-PER"] + ["I-PER"] * (run - 1) + ["O"]
            else:
                words.append(str(rng.choice(others)))
                tags.append("O")
        X.append(words)
        y.append(tags)
    return X, y


def test_crf_output_layer_decodes_whole_label_sequences():
    X, y = _bio_sentences(200, seed=0)
    X_new, y_new = _bio_sentences(40, seed=1)
    params = dict(max_epochs=30, early_stopping=False, random_state=0, **SMALL)
    tagger = RNNTagger(crf=True, **params).fit(X, y)
    module = tagger.net_.module_
    assert module.crf is not None
    assert tagger.score(X_new, y_new) > 0.95
    # The transitions learned the tag grammar: I-PER never follows O.
    o, i_per = (list(tagger.classes_).index(t) for t in ("O", "I-PER"))
    assert module.crf.transitions[o, i_per] < module.crf.transitions[i_per, i_per]
    pred = tagger.predict(X_new)
    assert [len(p) for p in pred] == [len(x) for x in X_new]
    assert not any(a == "O" and b == "I-PER" for p in pred for a, b in zip(p, p[1:]))
    # Marginals: a distribution per step, and padding (a longer neighbour) changes nothing.
    proba = tagger.predict_proba(X_new[:1])[0]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    padded = tagger.predict_proba(X_new[:1] + [["Ann"] * 12])[0]
    np.testing.assert_allclose(padded, proba, rtol=1e-5, atol=1e-6)
    assert tagger.predict([[], ["Ann"]])[0].size == 0
    # A different model from the softmax one, and it pickles.
    plain = RNNTagger(**params).fit(X, y)
    assert plain.net_.module_.crf is None
    assert not np.allclose(plain.predict_proba(X_new[:1])[0], proba)
    restored = pickle.loads(pickle.dumps(tagger))
    np.testing.assert_array_equal(np.concatenate(restored.predict(X_new)), np.concatenate(pred))


def test_crf_tagger_is_refused_by_onnx_export():
    # Refused before anything is exported: no onnx package needed.
    from sklearn_rnn.export import export_onnx

    X, y = _bio_sentences(20, seed=0)
    tagger = RNNTagger(crf=True, max_epochs=1, random_state=0, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="CRF output layer"):
        export_onnx(tagger, "unused.onnx")


def test_words_only_in_the_early_stopping_sentences_read_the_unseen_word_row():
    # "quxing" (and its letters q and x) occur only in the sentences held out
    # for early stopping: their rows would never train, so they read the
    # out-of-vocabulary rows, in validation and at prediction time, as words
    # unseen in training do.
    # "zebra" is trained on once: its "z" is rarer than "q", so its id comes
    # after the ids that leave the vocabulary, and must still have its row.
    X = TRAIN_X + [["zebra"]] + [["quxing", "walking"]] * 10
    y = TRAIN_Y + [["NOUN"]] + [["VERB", "VERB"]] * 10
    mask = np.r_[np.zeros(len(TRAIN_X) + 1, bool), np.ones(10, bool)]
    params = dict(max_epochs=1, random_state=0, **SMALL)
    tagger = RNNTagger(affix_embedding_dim=4, **params).fit(X, y, validation_mask=mask)
    assert "quxing" not in tagger.vocabulary_ and "walking" in tagger.vocabulary_
    assert set(tagger.vocabulary_) == {w.lower() for s in TRAIN_X for w in s} | {"zebra"}
    assert "q" not in tagger.char_vocabulary_ and "u" in tagger.char_vocabulary_
    last = max(tagger.char_vocabulary_.values())
    assert tagger.char_vocabulary_["z"] == last >= N_RESERVED + len(tagger.char_vocabulary_)
    assert tagger.predict([["zebra", "quxing"]])[0].shape == (2,)
    assert "s3:xin" not in tagger.affix_vocabulary_ and "s3:ing" in tagger.affix_vocabulary_
    ids = tagger._encode(["quxing"])[0]
    assert ids[0] == OOV_ID
    n_linear = tagger._feature_columns()[0]  # the linear path's columns come first
    assert n_linear == LINEAR_COLUMNS
    chars = ids[1 + n_linear + len(_affixes("quxing")) :]
    assert chars[1] == chars[3] == OOV_ID and chars[2] == tagger.char_vocabulary_["u"]
    # Held out by the random split, the same holds.
    own_words = [s + [f"word{i}"] for i, s in enumerate(TRAIN_X)]  # one of its own each
    held = RNNTagger(validation_fraction=0.3, **params).fit(
        own_words, [t + ["NOUN"] for t in TRAIN_Y]
    )
    own = [w for w in held.vocabulary_ if w.startswith("word")]
    assert len(own) == len(TRAIN_X) - round(0.3 * len(TRAIN_X))
    # A pretrained vector is read as it is, trained or not: that word stays.
    vectors = {"quxing": [1.0, 0.0], "walking": [0.0, 1.0]}
    tagger = RNNTagger(vectors=vectors, **params).fit(X, y, validation_mask=mask)
    assert "quxing" in tagger.vocabulary_


def test_ensemble_of_taggers_averages_its_members_scores():
    # On the CPU: the members are called on a CPU batch below.
    params = dict(max_epochs=3, early_stopping=False, random_state=0, device="cpu", **SMALL)
    tagger = RNNTagger(ensemble_size=2, **params).fit(TRAIN_X, TRAIN_Y)
    module = tagger.net_.module_
    assert len(module.members) == 2 and module.crf is None
    # The members start apart and end apart: each is trained on its own loss.
    first, second = (m.output.weight.detach() for m in module.members)
    assert not torch.allclose(first, second)
    # Predictions read the mean of the members' scores.
    proba = np.concatenate(tagger.predict_proba(TRAIN_X[:6]))
    batch = [tagger._encode(s) for s in TRAIN_X[:1]]
    X_batch, _ = collate_tagged([(b, np.zeros(len(b), dtype=np.int64), 1.0) for b in batch])
    with torch.no_grad():
        members = [m(X_batch["x"], X_batch["lengths"], X_batch["chars"]) for m in module.members]
    mean = torch.stack(members).mean(dim=0).softmax(dim=-1)[0].numpy()
    np.testing.assert_allclose(proba[: len(TRAIN_X[0])], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        tagger.classes_[proba.argmax(axis=1)], np.concatenate(tagger.predict(TRAIN_X[:6]))
    )
    # Early stopping scores the ensemble; it pickles, clones and prints its layers.
    stopped = RNNTagger(ensemble_size=2, max_epochs=2, random_state=0, **SMALL)
    assert np.isfinite(stopped.fit(TRAIN_X, TRAIN_Y).history_[-1]["valid_loss"])
    restored = pickle.loads(pickle.dumps(tagger))
    np.testing.assert_allclose(np.concatenate(restored.predict_proba(TRAIN_X[:6])), proba)
    assert clone(tagger).get_params()["ensemble_size"] == 2


def test_ensemble_tagging_loss_is_the_mean_of_the_members_losses():
    batch = [
        (np.array([4, 5, 6]), np.array([0, 1, 1]), 1.0),
        (np.array([4]), np.array([1]), 3.0),
    ]
    X, y = collate_tagged(batch)
    net = _loss_only_net()
    members = torch.randn(2, 2, 3, 2)  # (batch, members, steps, tags)
    loss = net.get_loss(members, y, X=X)
    each = [net.get_loss(members[:, k], y, X=X) for k in range(2)]
    torch.testing.assert_close(loss, (each[0] + each[1]) / 2)


def test_ensemble_adversarial_step_moves_every_members_step_vectors():
    params = dict(SMALL, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0)
    tagger = RNNTagger(
        ensemble_size=2, adversarial_eps=0.05, max_epochs=1, early_stopping=False, random_state=0
    )
    tagger.set_params(**params).fit(TRAIN_X[:40], TRAIN_Y[:40])
    batches = tagger.history_[-1]["batches"]
    assert all(b["train_adversarial_loss"] > b["train_loss"] for b in batches)


def test_ensemble_of_taggers_has_no_crf_layer():
    X, y = _bio_sentences(20, seed=0)
    with pytest.raises(ValueError, match="crf=True with ensemble_size > 1"):
        RNNTagger(crf=True, ensemble_size=2, max_epochs=1, **SMALL).fit(X, y)
