import itertools

import pytest
import torch

from sklearn_rnn.modules import (
    LinearChainCRF,
    LinearNGrams,
    ManyToOneModule,
    RNNEncoderModule,
    Seq2SeqModule,
    recent_steps,
    window_location,
)


def _two_layer_encoder(cell, pooling, bidirectional):
    torch.manual_seed(0)
    return RNNEncoderModule(
        num_embeddings=20,
        embedding_dim=4,
        cell=cell,
        hidden_size=5,
        num_layers=2,
        bidirectional=bidirectional,
        pooling=pooling,
    ).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_never_reads_padding(cell, pooling, bidirectional):
    encoder = _two_layer_encoder(cell, pooling, bidirectional)
    alone = encoder(torch.tensor([[3, 7, 9]]), torch.tensor([3]))
    padded = encoder(torch.tensor([[3, 7, 9, 0, 0], [4, 0, 0, 0, 0]]), torch.tensor([3, 1]))
    torch.testing.assert_close(padded[:1], alone)
    assert alone.shape == (1, encoder.output_size)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_pools_alike_with_and_without_gradients(cell, pooling, bidirectional):
    # Without gradients the top states are pooled in place (amax for max pooling).
    encoder = _two_layer_encoder(cell, pooling, bidirectional)
    lengths = torch.tensor([7, 3, 0, 1, 5])
    x = torch.randint(1, 20, (5, 7)) * (torch.arange(7) < lengths.unsqueeze(1))
    with_grad = encoder(x, lengths)
    assert with_grad.requires_grad
    for mode in (torch.no_grad, torch.inference_mode):
        with mode():
            without = encoder(x, lengths)
        torch.testing.assert_close(without, with_grad.detach(), rtol=1e-6, atol=1e-7)
    assert torch.all(with_grad[2] == 0)  # an empty sequence: the zero vector either way
    assert torch.isfinite(without).all()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_bidirectional_encoder_equals_torch_module_on_packed_sequences(cell, pooling):
    # The reference: torch's own two-layer bidirectional module, weights copied,
    # reading packed sequences (no padding at all), pooled over the true steps.
    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=30,
        embedding_dim=4,
        cell=cell,
        hidden_size=5,
        num_layers=2,
        bidirectional=True,
        pooling=pooling,
    ).eval()
    reference = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        4, 5, num_layers=2, bidirectional=True, batch_first=True
    )
    with torch.no_grad():
        for i in range(2):
            for suffix, layer in (
                ("", encoder.forward_layers[i]),
                ("_reverse", encoder.backward_layers[i]),
            ):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(reference, f"{name}_l{i}{suffix}").copy_(getattr(layer, f"{name}_l0"))
    lengths = torch.tensor([6, 2, 4, 1])
    x = torch.randint(1, 30, (4, 6)) * (torch.arange(6) < lengths.unsqueeze(1))
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        encoder.embedding(x), lengths, batch_first=True, enforce_sorted=False
    )
    out, state = reference(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    mask = (torch.arange(6) < lengths.unsqueeze(1)).unsqueeze(-1)
    if pooling == "last":
        h_n = state[0] if cell == "lstm" else state
        expected = torch.cat([h_n[-2], h_n[-1]], dim=-1)
    elif pooling == "max":
        expected = out.masked_fill(~mask, float("-inf")).max(dim=1).values
    else:
        expected = out.sum(dim=1) / lengths.unsqueeze(1)
    torch.testing.assert_close(encoder(x, lengths), expected)
    # Per step (aligned), the states are the reference's too.
    states, _ = encoder.steps(x, lengths)
    torch.testing.assert_close(states * mask, out)


def test_encoder_reads_numeric_steps():
    encoder = RNNEncoderModule(input_size=3, hidden_size=6, pooling="last")
    out = encoder(torch.randn(4, 7, 3), torch.tensor([7, 5, 2, 1]))
    assert out.shape == (4, 6)


def test_many_to_one_gives_one_row_of_outputs_per_sequence():
    model = ManyToOneModule(num_embeddings=10, hidden_size=8, n_outputs=3)
    logits = model(torch.tensor([[4, 5, 6], [7, 0, 0]]), torch.tensor([3, 1]))
    assert logits.shape == (2, 3)


def test_pretrained_embedding_is_copied_and_can_be_frozen():
    weights = torch.randn(10, 4)
    encoder = RNNEncoderModule(num_embeddings=10, embedding_weights=weights, freeze_embedding=True)
    torch.testing.assert_close(encoder.embedding.weight, weights)
    assert not encoder.embedding.weight.requires_grad


@pytest.mark.parametrize("attention", [None, "luong", "bahdanau"])
def test_seq2seq_greedy_scores_are_its_own_likelihood(attention):
    torch.manual_seed(0)
    model = Seq2SeqModule(
        num_source_embeddings=12, num_target_embeddings=9, hidden_size=8, attention=attention
    ).eval()
    source = torch.tensor([[4, 5, 6], [7, 8, 0]])
    lengths = torch.tensor([3, 2])
    tokens, logp = model.greedy(source, lengths, max_length=6, bos=2, eos=3)
    assert tokens.shape[0] == 2 and tokens.shape[1] <= 6
    # Score the decoded rows back: the same log-probabilities.
    target_in = torch.cat([torch.full((2, 1), 2), tokens[:, :-1]], dim=1)
    target_in = target_in.masked_fill(target_in == 3, 0)
    again = model.log_likelihood(source, lengths, target_in, tokens)
    torch.testing.assert_close(again, logp, rtol=1e-4, atol=1e-4)


def test_seq2seq_teacher_forced_logits_cover_every_target_step():
    model = Seq2SeqModule(num_source_embeddings=12, num_target_embeddings=9, hidden_size=8)
    logits = model(torch.tensor([[4, 5, 6]]), torch.tensor([3]), torch.tensor([[2, 4, 5, 6, 7]]))
    assert logits.shape == (1, 5, 9)


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_an_empty_sequence_is_the_zero_vector_with_finite_gradients(pooling, bidirectional):
    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=20, hidden_size=5, bidirectional=bidirectional, pooling=pooling
    )
    rep = encoder(torch.tensor([[3, 7], [0, 0]]), torch.tensor([2, 0]))
    torch.testing.assert_close(rep[1], torch.zeros_like(rep[1]))
    rep.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in encoder.parameters() if p.grad is not None)
    only_empty = encoder(torch.zeros((2, 0), dtype=torch.long), torch.tensor([0, 0]))
    torch.testing.assert_close(only_empty, torch.zeros_like(only_empty))


def test_many_to_one_learned_embedding_starts_small_and_pretrained_stays():
    torch.manual_seed(0)
    learned = ManyToOneModule(num_embeddings=50, embedding_dim=16, n_outputs=2)
    weight = learned.encoder.embedding.weight
    assert weight.abs().max() <= 0.05 and weight[0].abs().sum() == 0
    pretrained = torch.randn(50, 16)
    kept = ManyToOneModule(num_embeddings=50, embedding_weights=pretrained, n_outputs=2)
    torch.testing.assert_close(kept.encoder.embedding.weight, pretrained)


def test_word_dropout_replaces_tokens_by_oov_in_training_only():
    torch.manual_seed(0)
    encoder = RNNEncoderModule(num_embeddings=20, hidden_size=5, word_dropout=1.0)
    x, lengths = torch.tensor([[3, 7, 9], [4, 0, 0]]), torch.tensor([3, 1])
    all_oov = torch.tensor([[1, 1, 1], [1, 0, 0]])
    encoder.train()
    torch.testing.assert_close(encoder(x, lengths), encoder(all_oov, lengths))
    encoder.eval()
    assert not torch.allclose(encoder(x, lengths), encoder(all_oov, lengths))


def test_window_location_and_recent_steps_read_true_steps_only():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 0.0, 0.0]]).unsqueeze(-1)
    lengths = torch.tensor([4, 2])
    assert window_location(x, lengths, "last").squeeze(-1).tolist() == [4.0, 6.0]
    assert window_location(x, lengths, "mean").squeeze(-1).tolist() == [2.5, 5.5]
    assert recent_steps(x, lengths, 2).squeeze(-1).tolist() == [[3.0, 4.0], [5.0, 6.0]]


def test_linear_path_starts_as_the_whole_prediction():
    init = dict(
        mean=torch.tensor([1.0, 2.0]),
        scale=torch.tensor([2.0, 4.0]),
        weight=torch.tensor([[0.5, -1.0]]),
        bias=torch.tensor([3.0]),
    )
    module = ManyToOneModule(
        n_outputs=1, input_size=1, window_normalization="last", linear_lags=2, linear_init=init
    )
    x = torch.tensor([[0.0, 3.0, 6.0]]).unsqueeze(-1)
    expected = 0.5 * (3.0 - 1.0) / 2.0 - 1.0 * (6.0 - 2.0) / 4.0 + 3.0
    assert module(x, torch.tensor([3])).item() == pytest.approx(expected)


def test_window_normalization_needs_numeric_input_and_a_linear_path():
    with pytest.raises(ValueError, match="numeric input only"):
        ManyToOneModule(n_outputs=1, num_embeddings=10, linear_lags=1)
    with pytest.raises(ValueError, match="needs a linear path"):
        ManyToOneModule(n_outputs=1, input_size=1, window_normalization="last")


def _all_paths(emissions, length, crf):
    """Every label sequence of a sequence's first ``length`` steps with its score (brute force)."""
    k = emissions.shape[-1]
    out = []
    for path in itertools.product(range(k), repeat=length):
        score = crf.start[path[0]] + crf.end[path[-1]]
        score = score + sum(emissions[t, y] for t, y in enumerate(path))
        score = score + sum(crf.transitions[a, b] for a, b in zip(path, path[1:]))
        out.append((path, score))
    return out


def test_linear_chain_crf_matches_brute_force_enumeration():
    torch.manual_seed(0)
    crf = LinearChainCRF(3)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    emissions = torch.randn(4, 5, 3)
    lengths = torch.tensor([5, 3, 1, 0])  # padding after each sequence's steps; one empty
    mask = torch.arange(5) < lengths.unsqueeze(1)
    tags = torch.randint(0, 3, (4, 5))
    with torch.no_grad():
        nll = crf.neg_log_likelihood(emissions, tags, mask)
        best = crf.decode(emissions, mask)
        marginals = crf.marginals(emissions, mask)
        for i, n in enumerate(lengths.tolist()):
            if n == 0:
                assert nll[i] == 0.0
                continue
            paths = _all_paths(emissions[i], n, crf)
            scores = torch.stack([s for _, s in paths])
            log_z = torch.logsumexp(scores, dim=0)
            gold = dict(paths)[tuple(tags[i, :n].tolist())]
            torch.testing.assert_close(nll[i], log_z - gold)
            assert tuple(best[i, :n].tolist()) == paths[int(scores.argmax())][0]
            probs = (scores - log_z).exp()
            expected = torch.zeros(n, 3)
            for (path, _), p in zip(paths, probs):
                expected[torch.arange(n), torch.tensor(path)] += p
            torch.testing.assert_close(marginals[i, :n], expected)
    # Training moves the gold path's probability up.
    nll = crf.neg_log_likelihood(emissions, tags, mask).sum()
    nll.backward()
    assert crf.transitions.grad.abs().sum() > 0


def _binary_bag(rows, num_words, buckets, ngrams):
    """The reference: each row's distinct n-grams as a dense 0/1 vector of unit length."""
    out = torch.zeros(len(rows), num_words + buckets, dtype=torch.float64)
    for r, row in enumerate(rows):
        feats = {w for w in row if w}
        if ngrams == 2:
            feats |= {
                (a * 1000003 + b) % buckets + num_words
                for a, b in itertools.pairwise(row)
                if a and b
            }
        for f in feats:
            out[r, f] = 1.0
        out[r] /= max(len(feats), 1) ** 0.5
    return out


@pytest.mark.parametrize("ngrams", [1, 2])
def test_linear_ngrams_is_a_linear_model_of_the_binary_normalised_bag(ngrams):
    torch.manual_seed(0)
    path = LinearNGrams(30, 3, ngrams, buckets=50).eval()
    with torch.no_grad():
        path.weight.normal_()
    rows = [[5, 9, 5, 5, 0, 0], [7, 8, 7, 8, 7, 8], [0, 0, 0, 0, 0, 0], [3, 4, 3, 0, 0, 0]]
    out = path(torch.tensor(rows))
    bag = _binary_bag(rows, 30, 50 if ngrams == 2 else 0, ngrams)
    expected = path.scale * bag @ path.weight.double()
    torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)
    # Only the distinct features count: repeating a text does not change its vote.
    torch.testing.assert_close(path(torch.tensor([[7, 8, 7, 8]])), out[1:2])
    assert out[2].abs().max() == 0  # an empty text: no vote


def test_linear_ngrams_drops_features_in_training_only():
    torch.manual_seed(0)
    path = LinearNGrams(30, 1, 1, dropout=0.5)
    with torch.no_grad():
        path.weight.fill_(1.0)
    x = torch.arange(1, 26).unsqueeze(0)  # 25 distinct words: the bag sums to scale * 5
    path.eval()
    torch.testing.assert_close(path(x), torch.tensor([[path.scale * 5.0]]))
    path.train()
    draws = torch.stack([path(x) for _ in range(200)]).flatten()
    assert draws.std() > 0  # features are dropped, at random
    assert abs(draws.mean().item() - path.scale * 5.0) < 0.05 * path.scale * 5.0  # in expectation


def test_linear_ngrams_needs_token_input_and_one_or_two():
    with pytest.raises(ValueError, match="linear_ngrams applies to token input only"):
        ManyToOneModule(n_outputs=2, input_size=3, linear_ngrams=1)
    with pytest.raises(ValueError, match="ngrams must be 1 or 2"):
        LinearNGrams(10, 2, 3)
    module = ManyToOneModule(n_outputs=2, num_embeddings=12, embedding_dim=4, linear_ngrams=2)
    assert module.ngrams.weight.abs().max() == 0  # starts as the network alone
