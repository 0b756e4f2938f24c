"""Layer 3: the PyTorch networks: plain ``torch.nn.Module`` classes, no sklearn, skorch, numpy.

One encoder (embedding, recurrent layers, pooling) serves every head: the
many-to-one head (:class:`ManyToOneModule`) and the sequence-to-sequence
decoder (:class:`Seq2SeqModule`). Batches are
padded at the end to their own longest sequence and come with their true
``lengths``; the encoder never lets padding reach a prediction:

- the forward direction reads the real steps first, so its states at real steps
  do not depend on the padding after them;
- the backward direction reads each sequence reversed *within its own length*
  (an index flip), so it starts on the last real step, not on padding;
- the readout takes the state at each sequence's true last step, or pools
  over its true steps only.

This gives the results of ``pack_padded_sequence`` without its cost on CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ._recurrence import call_layer, eager, pools, run_layers

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _init_embedding(embedding, scale=0.05):
    """Small uniform initial vectors (Keras' default), the padding row zero.

    torch's default, N(0, 1), gives each vector a norm of about
    sqrt(embedding_dim): far larger than what training moves them by, so a
    word seen a few times keeps a vector of noise that drives the gates of the
    first recurrent layer. Small vectors let training place them: on SUBJ,
    CR, MPQA and SMS spam the default classifier gains 2 to 6 points
    (benchmarks/bench_accuracy.py). Used by the many-to-one models; the
    sequence-to-sequence model keeps torch's initialisation (not studied yet).
    """
    with torch.no_grad():
        nn.init.uniform_(embedding.weight, -scale, scale)
        if embedding.padding_idx is not None:
            embedding.weight[embedding.padding_idx].zero_()


class RNNEncoderModule(nn.Module):
    """Embed (or take numeric steps), run stacked recurrent layers, pool to one vector.

    Parameters
    ----------
    num_embeddings : int or None
        Size of the id vocabulary; ``None`` for numeric input.
    embedding_dim : int
        Width of the embedding (ignored when ``embedding_weights`` is given).
    input_size : int or None
        Features per step of numeric input (when ``num_embeddings`` is None).
    embedding_weights : Tensor of shape (num_embeddings, dim), optional
        Initial embedding (e.g. GloVe).
    freeze_embedding : bool
        Keep the embedding fixed during training.
    cell : {'rnn', 'lstm', 'gru'}
    hidden_size, num_layers, bidirectional, dropout :
        As in ``torch.nn.LSTM``; ``dropout`` applies between stacked layers.
    embedding_dropout : float
        Dropout on the embedded (or numeric) input.
    pooling : {'last', 'max', 'mean'}
        The true last state (both directions' final states when
        bidirectional), or max/mean over the true steps.
    word_dropout : float, default=0.0
        In training, the probability that a token is replaced by ``oov_id``
        (word dropout, Iyyer et al. 2015): the model learns not to lean on any
        one word, and the out-of-vocabulary vector, which unseen words read at
        prediction time, gets trained.
    oov_id : int, default=1
        The out-of-vocabulary id.
    """

    def __init__(
        self,
        *,
        num_embeddings=None,
        embedding_dim=64,
        input_size=None,
        embedding_weights=None,
        freeze_embedding=False,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        embedding_dropout=0.0,
        pooling="max",
        word_dropout=0.0,
        oov_id=1,
    ):
        super().__init__()
        self.word_dropout = word_dropout
        self.oov_id = oov_id
        if num_embeddings is not None:
            if embedding_weights is not None:
                self.embedding = nn.Embedding.from_pretrained(
                    embedding_weights.detach().clone().float(),
                    freeze=freeze_embedding,
                    padding_idx=0,
                )
            else:
                self.embedding = nn.Embedding(num_embeddings, embedding_dim, padding_idx=0)
                self.embedding.weight.requires_grad_(not freeze_embedding)
            step_size = self.embedding.embedding_dim
        else:
            self.embedding = None
            step_size = input_size
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.dropout = nn.Dropout(dropout)
        rnn = CELLS[cell]
        n_dir = 2 if bidirectional else 1
        self.forward_layers = nn.ModuleList(
            rnn(step_size if i == 0 else hidden_size * n_dir, hidden_size, batch_first=True)
            for i in range(num_layers)
        )
        self.backward_layers = nn.ModuleList(
            rnn(step_size if i == 0 else hidden_size * n_dir, hidden_size, batch_first=True)
            for i in range(num_layers if bidirectional else 0)
        )
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.output_size = hidden_size * n_dir

    def forward(self, x, lengths):
        return _drive(self._forward_steps(x, lengths))

    def _forward_steps(self, x, lengths):
        """:meth:`forward` as a generator of recurrent-layer calls (see :func:`_drive`)."""
        # Pooling needs no step alignment: the backward direction's top states
        # stay in its own (reversed) order, saving a gather and its backward.
        # Each direction is pooled on its own: concatenating their states first
        # would copy every state once more, for nothing. (Bidirectional simple
        # RNN of 128 units, batches of 128 IMDB reviews of 400 steps: pooling,
        # forward and backward, 1.7x faster; an epoch 0.93-1.11x as fast in four
        # paired runs, within the noise of a shared 2-core machine.)
        if x.shape[1] == 0:  # a batch of empty sequences: one padding step to run on
            x = x.new_zeros((x.shape[0], 1, *x.shape[2:]))
        # Without gradients nothing reads the top states after pooling: pooled
        # in place, or as the recurrence leaves them where it can (run_layers).
        inplace = not torch.is_grad_enabled()
        pool = self.pooling if inplace and self.pooling != "last" else None
        directions, mask, pooled = yield from self._directions(x, lengths, False, pool)
        lengths = lengths.to(mask.device).unsqueeze(1)
        if not pooled:
            directions = [_reduce(h, mask, lengths, self.pooling, inplace) for h in directions]
        return torch.cat(directions, dim=-1).masked_fill(lengths == 0, 0.0)

    def steps(self, x, lengths, aligned=True):
        """The top layer's states, shape (batch, steps, output_size), and the mask of true steps.

        With ``aligned=False`` the backward direction's top states are left in
        reading order (position t holds the state after reading steps L-1..L-1-t
        of a sequence of length L): right for pooling, not for per-step use.
        """
        directions, mask, _ = _drive(self._directions(x, lengths, aligned))
        return (torch.cat(directions, dim=-1) if len(directions) > 1 else directions[0]), mask

    def _directions(self, x, lengths, aligned, pool=None):
        """:meth:`steps`, the top layer's directions left apart: a list of one or two tensors.

        A generator: it yields each layer's call, ``(layers, inputs)`` or
        ``(layers, inputs, pool)`` for
        :func:`~sklearn_rnn._recurrence.run_layers`, and is sent its outputs
        (:func:`_drive`), so that networks trained side by side can run their
        layers together. Returns the directions, the mask of true steps, and
        whether the directions are pooled already: with ``pool`` (``'max'``
        or ``'mean'``, at inference) the top layer's states are pooled as
        they are computed where :func:`~sklearn_rnn._recurrence.pools` allows
        it, (batch, hidden) tensors (rows of empty sequences not zeroed).
        """
        if self.embedding is not None and self.training and self.word_dropout > 0:
            dropped = torch.rand(x.shape, device=x.device) < self.word_dropout
            x = x.masked_fill(dropped & (x != 0), self.oov_id)
        h = self.embedding(x) if self.embedding is not None else x
        h = self.embedding_dropout(h)
        batch, steps = h.shape[:2]
        time = torch.arange(steps, device=h.device).unsqueeze(0)
        lengths = lengths.to(h.device).unsqueeze(1)
        mask = time < lengths
        if self.bidirectional:
            # Position t of a sequence of length L reads position L-1-t; padding stays put.
            flip = torch.where(mask, lengths - 1 - time, time).unsqueeze(-1)
        top = len(self.forward_layers) - 1
        for i, layer in enumerate(self.forward_layers):
            if i:
                h = self.dropout(h)
            layers, inputs = (layer,), (h,)
            if self.bidirectional:
                h_rev = h.gather(1, flip.expand(-1, -1, h.shape[-1]))
                layers, inputs = (layer, self.backward_layers[i]), (h, h_rev)
            if i == top and pool and all(map(pools, layers, inputs)):
                return (yield layers, inputs, (pool, lengths.view(-1))), mask, True
            if not self.bidirectional:
                (h,) = yield layers, inputs
                continue
            out, out_rev = yield layers, inputs
            if aligned or i < top:
                out_rev = out_rev.gather(1, flip.expand(-1, -1, out_rev.shape[-1]))
            if i == top:
                return [out, out_rev], mask, False
            h = torch.cat([out, out_rev], dim=-1)
        return [h], mask, False

    def pool(self, h, mask, lengths, pooling=None, aligned=True):
        """One vector per sequence from the states of its true steps (see ``pooling``).

        ``aligned``: whether ``h`` came from ``steps(..., aligned=True)``. Max
        and mean do not depend on the order of the steps; the last state of
        the backward direction is its first step when aligned, its step L-1
        (like the forward direction's) when not.
        """
        pooling = pooling or self.pooling
        lengths = lengths.to(h.device).unsqueeze(1)
        if pooling == "last" and self.bidirectional and aligned:
            # The forward direction's last state is at L-1, the backward one's at 0.
            forward = _reduce(h[..., : self.hidden_size], mask, lengths, "last")
            rep = torch.cat([forward, h[:, 0, self.hidden_size :]], dim=-1)
        else:
            rep = _reduce(h, mask, lengths, pooling)
        return rep.masked_fill(lengths == 0, 0.0)


def _reduce(h, mask, lengths, pooling, inplace=False):
    """One vector per sequence from states ``h`` in reading order: 'last', 'max' or 'mean'.

    ``lengths``: (batch, 1). An empty sequence is pooled as if it had one
    step; the caller then zeroes its row (the zero vector, the recurrent
    layers' initial state, as a bag of words gives an empty document a row of
    zeros). No branch, so no device-to-host sync on the hot path.

    ``inplace=True`` (inference, where nothing else reads ``h``): the padding
    is masked in ``h`` itself, and the maximum is ``amax``, which finds no
    argmax for a backward pass. The values are the same; in a scratch
    measurement of batches of 128 sequences of 300 steps, 128 units, the
    masked maximum took 0.3-0.5x the time. In training, states laid out time
    first (the fused recurrence's) or batch first (torch's modules') are pooled
    where they lie (:class:`_MaskedMax`).
    """
    lengths = lengths.clamp_min(1)
    if pooling == "last":
        last = (lengths - 1).unsqueeze(-1).expand(-1, 1, h.shape[-1])
        return h.gather(1, last).squeeze(1)
    if pooling == "max":
        if inplace:
            return h.masked_fill_(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
        if h.requires_grad and h.device.type == "cpu" and eager():
            if h.transpose(0, 1).is_contiguous():  # time first, as the fused recurrence's
                return _MaskedMax.apply(h.transpose(0, 1), lengths.view(-1), 0)
            if h.is_contiguous():
                return _MaskedMax.apply(h, lengths.view(-1), 1)
        return h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
    kept = h.mul_(mask.unsqueeze(-1)) if inplace else h * mask.unsqueeze(-1)
    return kept.sum(dim=1) / lengths.to(h.dtype)


class _MaskedMax(torch.autograd.Function):
    """The maximum over each sequence's true steps, reduced where the states lie.

    ``h``: contiguous, its steps along ``dim``: (T, B, H) laid out time first
    (``dim=0``), as the fused recurrence writes its states
    (``_recurrence.run_layers`` hands them on as a transposed view), or
    (B, T, H) (``dim=1``), as torch's modules write theirs; ``lengths``: (B,),
    each at least 1. Returns (B, H).

    The general path (``masked_fill`` then ``max``) copies every state into a
    masked buffer laid out batch first, and its backward masks the gradient
    in another copy (which the fused recurrence's backward then transposes
    back). Here the steps every sequence of the batch holds (a length
    bucket's batches are of nearly one length) are reduced where they lie,
    with ``amax`` (torch's ``max`` with indices is slower, many times so over
    the leading dimension), and only the steps after the shortest sequence's
    end are masked, in a copy of their own. The backward finds each maximum's
    first step again by comparison and scatters the gradient there, in
    ``h``'s layout, into zeros; where a maximum is tied exactly (saturated
    states, a GRU's state carried unchanged), to its first step too, as
    ``max``'s indices do, so the gradients are those of the general path.
    Measured (stop 56, 2-core AMD EPYC): the
    pooling of 128 states of 500 steps laid out time first, 128 units,
    forward 10.4 ms -> 2.8 ms, backward 6.8 ms -> 7.6 ms; training steps
    over four IMDB-like batches of 125-500 steps, paired with the general
    path, 1.06x as fast for a
    bidirectional simple RNN of 128 units, 1.04x for a bidirectional LSTM of
    128 (batch first), 1.01x for an LSTM of 32. Stop 55's attempt, whose
    backward scattered the gradient into zeros at the maxima's indices, made
    the pooling of a batch 1.75-2.07x as fast but left epochs at 0.98-1.04x.
    Until stop 63 the backward wrote ``where(chosen, grad, 0)``, and where
    a maximum was tied, which a simple RNN's saturated states make common,
    found the first step with ``argmax``; both are slower than finding it
    with ``amax`` and scattering (see :meth:`backward`).
    """

    @staticmethod
    def forward(ctx, h, lengths, dim):
        T = h.shape[dim]
        shortest = min(int(lengths.min()), T)
        values = h.narrow(dim, 0, shortest).amax(dim)
        if shortest < T:  # the steps only some sequences hold
            tail = h.narrow(dim, shortest, T - shortest)
            past_end = _past_end(shortest, T, lengths, dim)
            values = torch.maximum(values, tail.masked_fill(past_end, float("-inf")).amax(dim))
        ctx.save_for_backward(h, values)
        ctx.dim = dim
        return values

    @staticmethod
    def backward(ctx, grad):
        h, values = ctx.saved_tensors
        dim = ctx.dim
        T = h.shape[dim]
        # Each maximum's gradient goes to the first step that holds it, as with
        # max's indices, also where it is tied exactly (saturated states, a
        # GRU's state carried unchanged). The steps that hold it are weighted
        # T, T - 1, ..., 1 from the first, and the largest weight marks the
        # first of them: ``amax`` finds it fast along any dimension, where
        # ``argmax`` along the leading one is slow. No step past a sequence's
        # end can come first, since its maximum is at one of its true steps.
        rank = torch.arange(
            T, 0, -1, dtype=torch.int16 if T < 2**15 else torch.int32, device=h.device
        )
        rank = rank.view(-1, 1, 1) if dim == 0 else rank.view(1, -1, 1)
        # (As bytes: multiplied as bools, they would first be copied to rank's type.)
        chosen = (h == values.unsqueeze(dim)).view(torch.uint8)
        first_rank = torch.mul(chosen, rank).amax(dim, keepdim=True)
        # A maximum found nowhere (NaN states) sends its gradient to the last step.
        first = torch.rsub(first_rank, T).clamp_max_(T - 1).long()
        return torch.zeros_like(h).scatter_(dim, first, grad.unsqueeze(dim)), None, None


def _past_end(start, steps, lengths, dim):
    """True at the steps from ``start`` on past each sequence's end, shaped to broadcast.

    (steps - start, B, 1) for steps along ``dim=0``, (B, steps - start, 1) for ``dim=1``.
    """
    time = torch.arange(start, steps, device=lengths.device)
    if dim == 0:
        return time.view(-1, 1, 1) >= lengths.view(1, -1, 1)
    return time.view(1, -1, 1) >= lengths.view(-1, 1, 1)


def _drive(steps):
    """Run a generator of recurrent-layer calls to its end; return its value.

    ``steps`` yields ``(layers, inputs)`` and is sent
    ``run_layers(layers, inputs)`` (a network's forward pass written so that
    :func:`_drive_together` can run several networks' layers together).
    """
    try:
        call = next(steps)
        while True:
            call = steps.send(run_layers(*call))
    except StopIteration as stop:
        return stop.value


def _drive_together(steps):
    """:func:`_drive` for several generators in lockstep; their values, in order.

    Each round, the calls of every generator still running go to
    :func:`~sklearn_rnn._recurrence.run_layers` as one call, which runs fused
    layers of one kind and size side by side (the members of an ensemble).
    Each generator's own operations keep their order; between generators the
    order changes (member 2's embedding before member 1's pooling), and with
    it the draws of random dropout masks from torch's one stream.
    """
    values = [None] * len(steps)
    calls = {}
    for i, gen in enumerate(steps):
        try:
            calls[i] = next(gen)
        except StopIteration as stop:
            values[i] = stop.value
    while calls:
        # Pooled calls (at inference, see RNNEncoderModule._directions) come
        # from every member at once, as the members are alike and read one batch.
        outputs = run_layers(
            [layer for layers, *_ in calls.values() for layer in layers],
            [x for _, inputs, *_ in calls.values() for x in inputs],
            *next(iter(calls.values()))[2:],
        )
        sent, start = {}, 0
        for i, (layers, *_) in calls.items():
            sent[i] = outputs[start : start + len(layers)]
            start += len(layers)
        calls = {}
        for i, out in sent.items():
            try:
                calls[i] = steps[i].send(out)
            except StopIteration as stop:
                values[i] = stop.value
    return values


def window_location(x, lengths, kind):
    """Each sequence's location per feature: its true last step (``'last'``) or mean (``'mean'``).

    ``x`` is a padded batch of numeric steps (batch, steps, features); an empty
    sequence's location is 0.
    """
    lengths = lengths.to(x.device)
    if kind == "last":
        last = (lengths.clamp_min(1) - 1).view(-1, 1, 1).expand(-1, 1, x.shape[-1])
        loc = x.gather(1, last).squeeze(1)
    else:
        mask = torch.arange(x.shape[1], device=x.device).unsqueeze(0) < lengths.unsqueeze(1)
        loc = (x * mask.unsqueeze(-1)).sum(dim=1) / lengths.clamp_min(1).unsqueeze(1).to(x.dtype)
    return loc.masked_fill((lengths == 0).unsqueeze(1), 0.0)


def recent_steps(x, lengths, k):
    """The last ``k`` true steps of each sequence, oldest first: shape (batch, k, features).

    A sequence shorter than ``k`` is read from its start, its last step
    repeated (the estimators never let that happen); an empty one reads the
    padding.
    """
    start = (lengths.to(x.device).unsqueeze(1) - k).clamp_min(0)
    idx = torch.minimum(
        start + torch.arange(k, device=x.device),
        (lengths.to(x.device).unsqueeze(1) - 1).clamp_min(0),
    )
    return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


#: The hash of a pair of neighbouring ids, before the modulo (an odd factor:
#: for each first id, distinct second ids keep distinct hashes).
PAIR_FACTOR = 1000003


def _hash_table_rows(distinct, low=2**10, high=2**20):
    """Rows of a hashed feature table: a power of two at least ``2 * distinct``, in [low, high].

    Sized to the data, not to the largest corpus, because Adam updates every
    row of a dense gradient each step (``RNNClassifier``'s word pairs;
    ``RNNTagger``'s linear features have a row each, ``tagger._linear_index``).
    """
    return min(high, max(low, 1 << (max(2 * distinct, 1) - 1).bit_length()))


def pair_hashes(x):
    """The hashes of the pairs of neighbouring ids of (batch, steps) ``x``: (batch, steps - 1)."""
    return x[:, :-1] * PAIR_FACTOR + x[:, 1:]


class LinearNGrams(nn.Module):
    """A linear model of each token sequence's bag of n-grams: (batch, steps) ids to outputs.

    The features are binary: each distinct word (and, with ``ngrams=2``, each
    distinct pair of neighbouring words, hashed into ``buckets`` rows) counts
    once, and the vector is scaled to unit length, so a long text's vote is
    not larger for its length (the features of a linear bag-of-words model
    on binary, L2-normalised n-grams). It is the "wide" part beside a
    recurrent network (Cheng et al. 2016; the direct n-gram connections of
    Mikolov et al.'s RNNME language models): it learns which words a text
    holds, the network what their order adds.

    Parameters
    ----------
    num_embeddings : int
        Size of the id space (0 pads).
    n_outputs : int
    ngrams : {1, 2}
        Words alone, or words and hashed pairs of neighbouring words.
    buckets : int, default=2**20
        Rows for the pairs (collisions share a weight, as in a hashing
        vectorizer; ``RNNClassifier`` sizes them to its training data).
    dropout : float, default=0.5
        In training, each feature of a sequence is dropped with this
        probability (the others scaled up to keep the expectation), so that
        the path leans on no single word (one IMDB 5k/5k fit: 87.84 with
        0.5, 87.54 without).
    scale : float, default=10.0
        Factor on the features. Adam moves each weight by about ``lr`` a
        step whatever the input's scale, so the factor sets how fast the
        path's outputs move: at 1 a text's vote grew too slowly to matter
        before early stopping (single fits on IMDB 5k/5k, the network alone
        85.38; words alone: factor 1 85.94, 10 87.12; words and pairs: 3
        86.30, 10 87.54, 30 87.56).
    """

    def __init__(self, num_embeddings, n_outputs, ngrams, buckets=2**20, dropout=0.5, scale=10.0):
        super().__init__()
        if ngrams not in (1, 2):
            raise ValueError(f"ngrams must be 1 or 2; got {ngrams!r}.")
        self.num_words = num_embeddings
        self.buckets = buckets if ngrams == 2 else 0
        self.dropout = dropout
        self.scale = scale
        # One row of output weights per word and per bucket of pairs.
        self.weight = nn.Parameter(torch.zeros(num_embeddings + self.buckets, n_outputs))

    def features(self, x):
        """Each row's distinct feature ids, sorted, and their weights (0: repeats, padding)."""
        if self.buckets and x.shape[1] > 1:
            pairs = torch.remainder(pair_hashes(x), self.buckets) + self.num_words
            x = torch.cat([x, pairs.masked_fill((x[:, :-1] == 0) | (x[:, 1:] == 0), 0)], dim=1)
        ids = x.sort(dim=1).values
        first = torch.ones_like(ids, dtype=torch.bool)
        first[:, 1:] = ids[:, 1:] != ids[:, :-1]
        keep = (first & (ids != 0)).float()
        return ids, keep / keep.sum(1, keepdim=True).clamp_min(1.0).sqrt()

    def forward(self, x):
        ids, weights = self.features(x)
        if self.training and self.dropout > 0:
            weights = weights * (torch.rand_like(weights) >= self.dropout) / (1 - self.dropout)
        return (F.embedding(ids, self.weight) * (self.scale * weights).unsqueeze(-1)).sum(1)


class LinearTokenFeatures(nn.Module):
    """A linear model of each step's binary features: (batch, steps, features) ids to outputs.

    Each step carries the ids of its active binary features (0: none), e.g.
    a word's lowercase form, affixes and case flags and those of its
    neighbours; the output of a step is the sum of their weight rows. It is
    the "wide" part beside a recurrent tagger: the emission scores of a
    linear-chain CRF over hand-made features, which tag words never seen in
    training from their spelling, learned with the network on one loss.

    Parameters
    ----------
    num_embeddings : int
        Rows of the weight table (row 0 pads and stays zero).
    n_outputs : int
    dropout : float, default=0.5
        In training, each feature of a step is dropped with this probability
        (the others scaled up to keep the expectation), so that the path
        leans on no single feature, such as a word's identity.
    """

    def __init__(self, num_embeddings, n_outputs, dropout=0.5):
        super().__init__()
        self.dropout = dropout
        # Zero start: the path adds nothing until it learns, as in LinearNGrams.
        self.weight = nn.Parameter(torch.zeros(num_embeddings, n_outputs))

    def forward(self, ids):
        keep = (ids != 0).float()  # id 0: no feature, whatever row 0 holds
        if self.training and self.dropout > 0:
            drop = torch.rand(ids.shape, device=ids.device) < self.dropout
            keep = keep.masked_fill(drop, 0.0) / (1 - self.dropout)
        return (F.embedding(ids, self.weight) * keep.unsqueeze(-1)).sum(-2)


class ManyToOneModule(nn.Module):
    """Many-to-one: the encoder, dropout, and a linear layer giving ``n_outputs`` values.

    The outputs are class logits for a classifier (no softmax: the loss is
    ``CrossEntropyLoss``) or real values for a regressor. A learned embedding
    starts from small uniform vectors (see :func:`_init_embedding`).

    Parameters
    ----------
    n_outputs : int
        Values per sequence: classes, or regression targets.
    output_dropout : float, default=0.0
        Dropout on the pooled representation, before the output layer.
    window_normalization : {'last', 'mean'} or None, default=None
        Numeric input only: each sequence is re-based, feature by feature, on
        its true last step or its mean before the recurrent layers, which so
        read the shape of the window, not its level. The level then reaches
        the outputs through the linear path (``linear_lags`` >= 1).
    linear_lags : int, default=0
        Numeric input only: a linear path from the last ``linear_lags`` true
        steps of each sequence (standardised by fixed ``mean`` and ``scale``)
        to the outputs, added to the recurrent head's outputs (the highway of
        LSTNet, Lai et al. 2018). A forecast so follows a level or trend
        beyond anything in the training windows, as a linear model does,
        where the gates of a recurrent network saturate. 0: no linear path.
    linear_init : dict of Tensors, optional
        The linear path's start: ``mean`` and ``scale`` of its inputs
        (fixed), and its ``weight`` and ``bias`` (e.g. the least squares fit
        of the targets). Given, the recurrent head's output layer starts at
        zero: the network starts as the linear model and learns what it
        misses. With ``gaussian``, ``log_var`` (optional) is the start of
        the log-variances (e.g. those of the linear fit's residuals).
    gaussian : bool, default=False
        Also give a log-variance per output, from the pooled representation
        (its layer starts at zero weights): the outputs are then
        ``[means, log-variances]``, ``2 * n_outputs`` values, for
        :class:`GaussianNLLLoss`.
    linear_ngrams : int, default=0
        Token input only: a linear path from the bag of each sequence's
        words (1) or words and pairs of neighbouring words (2) to the
        outputs, added to the recurrent head's outputs
        (:class:`LinearNGrams`). 0: none.
    ngram_buckets : int, default=2**20
        With ``linear_ngrams=2``: rows for the hashed pairs.
    **encoder_params
        The keyword arguments of :class:`RNNEncoderModule`.
    """

    def __init__(
        self,
        *,
        n_outputs,
        output_dropout=0.0,
        window_normalization=None,
        linear_lags=0,
        linear_init=None,
        gaussian=False,
        linear_ngrams=0,
        ngram_buckets=2**20,
        **encoder_params,
    ):
        super().__init__()
        self.encoder = RNNEncoderModule(**encoder_params)
        self.ngrams = None
        if linear_ngrams:
            if self.encoder.embedding is None:
                raise ValueError("linear_ngrams applies to token input only.")
            self.ngrams = LinearNGrams(
                self.encoder.embedding.num_embeddings,
                n_outputs,
                linear_ngrams,
                buckets=ngram_buckets,
            )
        if self.encoder.embedding is not None and encoder_params.get("embedding_weights") is None:
            _init_embedding(self.encoder.embedding)
        self.output_dropout = nn.Dropout(output_dropout)
        self.output = nn.Linear(self.encoder.output_size, n_outputs)
        self.window_normalization = window_normalization
        self.linear_lags = linear_lags
        self.log_var = None
        if gaussian:
            self.log_var = nn.Linear(self.encoder.output_size, n_outputs)
            with torch.no_grad():
                self.log_var.weight.zero_()
                start = (linear_init or {}).get("log_var")
                self.log_var.bias.copy_(start if start is not None else torch.zeros(n_outputs))
        if (window_normalization or linear_lags) and self.encoder.embedding is not None:
            raise ValueError("window_normalization and linear_lags apply to numeric input only.")
        if window_normalization is not None and not linear_lags:
            raise ValueError("window_normalization needs a linear path (linear_lags >= 1).")
        if linear_lags:
            width = linear_lags * encoder_params["input_size"]
            self.linear = nn.Linear(width, n_outputs)
            self.register_buffer("linear_mean", torch.zeros(width))
            self.register_buffer("linear_scale", torch.ones(width))
            if linear_init is not None:
                with torch.no_grad():
                    self.linear_mean.copy_(linear_init["mean"])
                    self.linear_scale.copy_(linear_init["scale"])
                    self.linear.weight.copy_(linear_init["weight"])
                    self.linear.bias.copy_(linear_init["bias"])
                    self.output.weight.zero_()
                    self.output.bias.zero_()

    def forward(self, x, lengths, sample_weight=None):
        # sample_weight rides in the batch for the loss; the network ignores it.
        return _drive(self._forward_steps(x, lengths))

    def _forward_steps(self, x, lengths):
        """:meth:`forward` as a generator of recurrent-layer calls (see :func:`_drive`)."""
        linear = 0.0
        if self.linear_lags:
            lags = recent_steps(x, lengths, self.linear_lags).flatten(1)
            linear = self.linear((lags - self.linear_mean) / self.linear_scale)
        # getattr: a model pickled before the n-gram path has none.
        if getattr(self, "ngrams", None) is not None:
            linear = self.ngrams(x)
        if self.window_normalization is not None:
            x = x - window_location(x, lengths, self.window_normalization).unsqueeze(1)
        rep = self.output_dropout((yield from self.encoder._forward_steps(x, lengths)))
        out = linear + self.output(rep)
        if self.log_var is not None:
            out = torch.cat([out, self.log_var(rep)], dim=-1)
        return out


class EnsembleModule(nn.Module):
    """Several :class:`ManyToOneModule` networks trained side by side; predicting, their average.

    Each member starts from its own random weights (the linear path, when
    there is one, from the same start) and sees the same batches. In
    training the output is every member's, shape (batch, members, outputs),
    so that each member is trained on its own loss (the net averages the
    members' losses); in evaluation it is the ensemble's, (batch, outputs):
    the mean of the members' outputs (a classifier's logits), or with
    ``gaussian`` the mean and the log-variance of the members' equally
    weighted mixture (Lakshminarayanan, Pritzel & Blundell 2017), so that
    early stopping, predictions and export see one model. Averaging
    networks that differ only in their random start removes the part of
    their error that depends on it.

    Parameters
    ----------
    ensemble_size : int
        Members, at least 2.
    gaussian : bool, default=False
        As in :class:`ManyToOneModule`.
    **params
        The keyword arguments of each :class:`ManyToOneModule`.
    """

    def __init__(self, *, ensemble_size, gaussian=False, **params):
        super().__init__()
        if ensemble_size < 2:
            raise ValueError(f"ensemble_size must be at least 2; got {ensemble_size}.")
        self.gaussian = gaussian
        self.members = nn.ModuleList(
            ManyToOneModule(gaussian=gaussian, **params) for _ in range(ensemble_size)
        )

    def forward(self, x, lengths, sample_weight=None):
        if isinstance(self.members[0].encoder.forward_layers[0], nn.GRU):
            # The members' layers side by side, each step's operations serving
            # all (:func:`~sklearn_rnn._recurrence.run_layers`). GRU only: LSTM
            # layers run oneDNN's kernel one by one and simple RNN layers were
            # no faster side by side, and lockstep changes the order of the
            # members' dropout draws, so those models stay as they were.
            outs = _drive_together([member._forward_steps(x, lengths) for member in self.members])
        else:
            outs = [member(x, lengths) for member in self.members]
        outs = torch.stack(outs, dim=1)
        if self.training:
            return outs
        if not self.gaussian:
            return outs.mean(dim=1)
        mean, log_var = outs.chunk(2, dim=-1)
        mixture_mean = mean.mean(dim=1)
        # The mixture's variance: the members' mean variance plus their spread.
        var = log_var.exp().mean(dim=1) + ((mean - mixture_mean.unsqueeze(1)) ** 2).mean(dim=1)
        return torch.cat([mixture_mean, var.log()], dim=-1)

    def encoder(self, x, lengths):
        """The members' pooled representations side by side, (batch, members * width)."""
        return torch.cat([member.encoder(x, lengths) for member in self.members], dim=-1)


class GaussianNLLLoss(nn.Module):
    """Negative log-likelihood of the targets under N(mean, exp(log_var)), per element.

    ``y_pred`` holds ``[means, log-variances]`` (``2 * n_outputs`` columns,
    as :class:`ManyToOneModule` gives them with ``gaussian=True``); the loss
    is torch's ``gaussian_nll_loss`` (the constant ``log(2 pi) / 2`` left
    out, variances clamped at 1e-6 so that a perfect fit cannot drive it to
    minus infinity).

    Parameters
    ----------
    reduction : {'none', 'mean'}, default='none'
    """

    def __init__(self, reduction="none"):
        super().__init__()
        self.reduction = reduction

    def forward(self, y_pred, y_true):
        mean, log_var = y_pred.chunk(2, dim=-1)
        return nn.functional.gaussian_nll_loss(
            mean, y_true, log_var.exp(), reduction=self.reduction
        )


class PinballLoss(nn.Module):
    """Pinball (quantile) loss per element: ``max(q (y - p), (q - 1) (y - p))``.

    Its minimiser is the ``quantile`` quantile of the targets given the
    input (0.5: the median, where it is half the absolute error), as
    :func:`sklearn.metrics.mean_pinball_loss` scores it.

    Parameters
    ----------
    quantile : float, default=0.5
        In (0, 1).
    reduction : {'none', 'mean'}, default='none'
    """

    def __init__(self, quantile=0.5, reduction="none"):
        super().__init__()
        self.quantile = quantile
        self.reduction = reduction

    def forward(self, y_pred, y_true):
        diff = y_true - y_pred
        loss = torch.maximum(self.quantile * diff, (self.quantile - 1) * diff)
        return loss.mean() if self.reduction == "mean" else loss


class AttentionModule(nn.Module):
    """Attention of decoder states over the encoder's steps: Luong's or Bahdanau's.

    'luong' scores with a bilinear form (Luong et al. 2015, "general"),
    'bahdanau' with a one-hidden-layer network (Bahdanau et al. 2015,
    "additive"). Padding steps of the source get no weight.

    Parameters
    ----------
    kind : {'luong', 'bahdanau'}
        The scoring function.
    query_size : int
        Width of a decoder state (the query).
    memory_size : int
        Width of an encoder state (what is attended to).
    """

    def __init__(self, kind, query_size, memory_size):
        super().__init__()
        self.kind = kind
        if kind == "luong":
            self.key = nn.Linear(memory_size, query_size, bias=False)
        else:
            self.key = nn.Linear(memory_size, query_size)
            self.query = nn.Linear(query_size, query_size, bias=False)
            self.energy = nn.Linear(query_size, 1, bias=False)

    def forward(self, query, keys, memory, mask):
        """Context vectors (batch, queries, memory_size) and weights (batch, queries, steps).

        ``keys`` is ``self.key(memory)``, computed once per source.
        """
        if self.kind == "luong":
            scores = query @ keys.transpose(1, 2)
        else:
            hidden = torch.tanh(self.query(query).unsqueeze(2) + keys.unsqueeze(1))
            scores = self.energy(hidden).squeeze(-1)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = scores.softmax(dim=-1)
        return weights @ memory, weights


class Seq2SeqModule(nn.Module):
    """Encoder-decoder: many-to-many sequence-to-sequence learning, with optional attention.

    The encoder is :class:`RNNEncoderModule` (possibly bidirectional and
    stacked); its final states, through a tanh layer (the "bridge"), start
    the decoder, a stacked recurrent network of the same cell over the target
    embedding. With attention, each decoder step also reads a weighted sum of
    the encoder's states.

    ``forward`` is the training pass: ``target_in`` is the target sequence
    shifted right behind the begin marker. With ``teacher_forcing_ratio`` 1
    (or in eval mode) the decoder reads the true previous tokens, in one
    call of the recurrent layer unless Bahdanau attention needs the state
    step by step; below 1, each step feeds the true previous token with that
    probability and the model's own prediction otherwise (scheduled
    sampling). :meth:`greedy` and :meth:`beam_search` decode.

    Parameters
    ----------
    num_source_embeddings, num_target_embeddings : int
        Source and target vocabulary sizes (reserved ids included).
    embedding_dim : int
        Width of both embeddings (the source one may be pretrained).
    source_embedding_weights : Tensor, optional
        Initial source embedding (e.g. GloVe).
    freeze_embedding : bool
        Keep the source embedding fixed.
    cell, hidden_size, num_layers, bidirectional, dropout, embedding_dropout :
        As in :class:`RNNEncoderModule`; the decoder is unidirectional, with the
        same cell, hidden size and depth.
    attention : {'luong', 'bahdanau', None}
    teacher_forcing_ratio : float
        Probability of feeding the true previous token in training.
    """

    def __init__(
        self,
        *,
        num_source_embeddings,
        num_target_embeddings,
        embedding_dim=64,
        source_embedding_weights=None,
        freeze_embedding=False,
        cell="lstm",
        hidden_size=128,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        embedding_dropout=0.0,
        attention="luong",
        teacher_forcing_ratio=1.0,
    ):
        super().__init__()
        self.encoder = RNNEncoderModule(
            num_embeddings=num_source_embeddings,
            embedding_dim=embedding_dim,
            embedding_weights=source_embedding_weights,
            freeze_embedding=freeze_embedding,
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            embedding_dropout=embedding_dropout,
            pooling="last",
        )
        memory_size = self.encoder.output_size
        self.target_embedding = nn.Embedding(num_target_embeddings, embedding_dim, padding_idx=0)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.bridge = nn.Linear(memory_size, hidden_size * num_layers)
        bahdanau = attention == "bahdanau"
        self.decoder = CELLS[cell](
            embedding_dim + (memory_size if bahdanau else 0),
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        if attention is None:
            self.attention = self.combine = None
        else:
            self.attention = AttentionModule(attention, hidden_size, memory_size)
            self.combine = nn.Linear(hidden_size + memory_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, num_target_embeddings)
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.teacher_forcing_ratio = teacher_forcing_ratio

    # -- the two halves -------------------------------------------------------

    def encode(self, source, source_lengths):
        """The decoder's initial state and what attention reads (memory, keys, mask)."""
        memory, mask = self.encoder.steps(source, source_lengths)
        final = self.encoder.pool(memory, mask, source_lengths, pooling="last")
        h0 = torch.tanh(self.bridge(final))
        h0 = h0.view(-1, self.num_layers, self.hidden_size).transpose(0, 1).contiguous()
        state = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0
        keys = self.attention.key(memory) if self.attention is not None else None
        return state, (memory, keys, mask)

    def decode(self, tokens, state, context):
        """Logits (batch, steps, vocabulary) for the input ``tokens``, and the new state."""
        memory, keys, mask = context
        emb = self.embedding_dropout(self.target_embedding(tokens))
        if self.attention is not None and self.attention.kind == "bahdanau":
            # The query is the state before the step: one step at a time.
            outputs = []
            for t in range(tokens.shape[1]):
                top = (state[0] if self.cell == "lstm" else state)[-1].unsqueeze(1)
                ctx, _ = self.attention(top, keys, memory, mask)
                step = torch.cat([emb[:, t : t + 1], ctx], dim=-1)
                out, state = call_layer(self.decoder, step, state)
                outputs.append(torch.tanh(self.combine(torch.cat([out, ctx], dim=-1))))
            h = torch.cat(outputs, dim=1)
        else:
            h, state = call_layer(self.decoder, emb, state)
            if self.attention is not None:
                ctx, _ = self.attention(h, keys, memory, mask)
                h = torch.tanh(self.combine(torch.cat([h, ctx], dim=-1)))
        return self.output(self.dropout(h)), state

    # -- training --------------------------------------------------------------

    def forward(self, source, source_lengths, target_in):
        state, context = self.encode(source, source_lengths)
        ratio = self.teacher_forcing_ratio
        if not self.training or ratio >= 1:
            logits, _ = self.decode(target_in, state, context)
            return logits
        tokens = target_in[:, :1]
        outputs = []
        for t in range(target_in.shape[1]):
            logits, state = self.decode(tokens, state, context)
            outputs.append(logits)
            if t + 1 < target_in.shape[1]:
                own = logits.argmax(dim=-1)
                true = target_in[:, t + 1 : t + 2]
                feed_true = torch.rand(true.shape, device=true.device) < ratio
                tokens = torch.where(feed_true, true, own)
        return torch.cat(outputs, dim=1)

    # -- decoding --------------------------------------------------------------

    def greedy(self, source, source_lengths, *, max_length, bos, eos, pad=0):
        """Greedy decoding of a batch: tokens (batch, <= max_length) and their log-probabilities.

        Each row stops at its end marker (included) and is padded after it.
        """
        state, context = self.encode(source, source_lengths)
        return self._greedy(state, context, max_length=max_length, bos=bos, eos=eos, pad=pad)

    def _greedy(self, state, context, *, max_length, bos, eos, pad):
        memory = context[0]
        batch, device = memory.shape[0], memory.device
        tokens = torch.full((batch, 1), bos, dtype=torch.long, device=device)
        done = torch.zeros(batch, dtype=torch.bool, device=device)
        total = torch.zeros(batch, device=device)
        out = []
        for _ in range(max_length):
            logits, state = self.decode(tokens, state, context)
            logp = logits[:, -1].float().log_softmax(dim=-1)
            best = _never(logp, (pad, bos)).argmax(dim=-1)
            total = total + torch.where(done, 0.0, logp.gather(1, best[:, None]).squeeze(1))
            best = best.masked_fill(done, pad)
            out.append(best)
            done = done | (best == eos)
            tokens = best[:, None]
            if bool(done.all()):
                break
        return torch.stack(out, dim=1), total

    def beam_search(
        self, source, source_lengths, *, max_length, beam_size, length_penalty, bos, eos, pad=0
    ):
        """Beam search for a batch: the best tokens (batch, <= max_length) and log-probabilities.

        Hypotheses are ranked by log-probability divided by the length penalty
        ``((5 + length) / 6) ** length_penalty`` (Wu et al. 2016; 0 ranks by
        log-probability alone). A hypothesis that has produced the end marker
        stays in the beam unchanged. The greedy hypothesis competes too, so
        the result never ranks below greedy decoding's.
        """
        state, (memory, keys, mask) = self.encode(source, source_lengths)
        greedy_tokens, greedy_logp = self._greedy(
            state, (memory, keys, mask), max_length=max_length, bos=bos, eos=eos, pad=pad
        )
        batch, k, device = source.shape[0], beam_size, source.device

        def expand(t, dim=0):
            return None if t is None else t.repeat_interleave(k, dim=dim)

        if self.cell == "lstm":
            state = (expand(state[0], 1), expand(state[1], 1))
        else:
            state = expand(state, 1)
        context = (expand(memory), expand(keys), expand(mask))
        scores = torch.full((batch, k), float("-inf"), device=device)
        scores[:, 0] = 0.0  # all beams start equal: keep one
        tokens = torch.full((batch * k, 1), bos, dtype=torch.long, device=device)
        history = torch.zeros((batch, k, 0), dtype=torch.long, device=device)
        done = torch.zeros((batch, k), dtype=torch.bool, device=device)
        offsets = (torch.arange(batch, device=device) * k).unsqueeze(1)
        for _ in range(max_length):
            logits, state = self.decode(tokens, state, context)
            logp = logits[:, -1].float().log_softmax(dim=-1).view(batch, k, -1)
            logp = _never(logp, (pad, bos))
            vocab = logp.shape[-1]
            finished = torch.full((vocab,), float("-inf"), device=device)
            finished[pad] = 0.0  # a finished hypothesis only extends with padding, for free
            logp = torch.where(done.unsqueeze(-1), finished, logp)
            scores, flat = (scores.unsqueeze(-1) + logp).view(batch, -1).topk(k, dim=1)
            origin, token = flat // vocab, flat % vocab
            history = torch.cat(
                [history.gather(1, origin.unsqueeze(-1).expand_as(history)), token.unsqueeze(-1)],
                dim=2,
            )
            done = done.gather(1, origin) | (token == eos)
            rows = (origin + offsets).view(-1)
            state = (
                (state[0][:, rows], state[1][:, rows]) if self.cell == "lstm" else state[:, rows]
            )
            tokens = token.view(-1, 1)
            if bool(done.all()):
                break
        ranked = scores / _length_penalty((history != pad).sum(-1), length_penalty)
        best = ranked.argmax(dim=1)
        picked = history[torch.arange(batch, device=device), best]
        picked_score = scores.gather(1, best[:, None]).squeeze(1)
        picked_rank = ranked.gather(1, best[:, None]).squeeze(1)
        greedy_rank = greedy_logp / _length_penalty((greedy_tokens != pad).sum(-1), length_penalty)
        use_greedy = greedy_rank > picked_rank
        width = max(picked.shape[1], greedy_tokens.shape[1])
        picked = nn.functional.pad(picked, (0, width - picked.shape[1]), value=pad)
        greedy_tokens = nn.functional.pad(
            greedy_tokens, (0, width - greedy_tokens.shape[1]), value=pad
        )
        picked = torch.where(use_greedy.unsqueeze(1), greedy_tokens, picked)
        return picked, torch.where(use_greedy, greedy_logp, picked_score)

    def log_likelihood(self, source, source_lengths, target_in, target_out, pad=0):
        """Log-probability of each target (its tokens and end marker) under the model."""
        logits, _ = self.decode(target_in, *self.encode(source, source_lengths))
        logp = logits.float().log_softmax(dim=-1)
        token_logp = logp.gather(2, target_out.unsqueeze(-1)).squeeze(-1)
        return token_logp.masked_fill(target_out == pad, 0.0).sum(dim=1)


def _never(logp, tokens):
    """Log-probabilities with ``tokens`` (padding, the begin marker) ruled out of decoding.

    The model is never trained to emit them, but an untrained or unsure one
    may give them mass; an output holding them would not be a sequence.
    """
    logp = logp.clone()
    logp[..., list(tokens)] = float("-inf")
    return logp


def _length_penalty(length, alpha):
    return ((5.0 + length.float()) / 6.0) ** alpha


class CharEncoderModule(nn.Module):
    """Each word's vector from its characters: a convolution or a bidirectional LSTM over them.

    Character-level word features: a word the tagger never saw in training
    still gets a vector from its spelling (suffixes, capitals, digits,
    hyphens). ``'cnn'``: one convolution, max-pooled over the word (Ma & Hovy
    2016); ``'lstm'``: the final states of a bidirectional LSTM reading the
    word's characters both ways (Lample et al. 2016; Plank et al. 2016).
    Each distinct word of a batch is encoded once.

    Parameters
    ----------
    num_chars : int
        Character vocabulary size (0 is padding).
    char_embedding_dim : int
        Width of a character's embedding.
    char_size : int
        Width of the word vector: the convolution's filters, or twice the
        LSTM's units (one half per direction; an odd width is rounded up).
    kind : {'cnn', 'lstm'}, default='cnn'
    kernel_size : int, default=3
        Characters each filter of the convolution reads.
    """

    def __init__(self, num_chars, char_embedding_dim, char_size, kind="cnn", kernel_size=3):
        super().__init__()
        self.kind = kind
        self.embedding = nn.Embedding(num_chars, char_embedding_dim, padding_idx=0)
        if kind == "cnn":
            self.conv = nn.Conv1d(
                char_embedding_dim, char_size, kernel_size, padding=kernel_size // 2
            )
            self.output_size = char_size
        else:
            self.rnn = RNNEncoderModule(
                input_size=char_embedding_dim,
                hidden_size=-(-char_size // 2),
                bidirectional=True,
                pooling="last",
            )
            self.output_size = self.rnn.output_size

    def forward(self, chars):
        """``chars`` (..., max_word_length) of ids, 0 padded; returns (..., output_size)."""
        shape = chars.shape
        words, inverse = torch.unique(chars.reshape(-1, shape[-1]), dim=0, return_inverse=True)
        real = words != 0
        if self.kind == "cnn":
            h = self.conv(self.embedding(words).transpose(1, 2))  # (words, filters, length)
            h = h.masked_fill(~real.unsqueeze(1), float("-inf")).max(dim=-1).values
            h = h.masked_fill(~real.any(dim=-1, keepdim=True), 0.0)  # padding: zero vectors
        else:
            h = self.rnn(self.embedding(words), real.sum(dim=-1))  # empty words: zero vectors
        return h[inverse].reshape(*shape[:-1], self.output_size)


class LinearChainCRF(nn.Module):
    """A linear-chain conditional random field over per-step label scores.

    A label sequence ``y`` of a sequence with emission scores ``e`` (batch,
    steps, n_tags) scores ``start[y_0] + sum_t e[t, y_t] + sum_t
    transitions[y_t, y_t+1] + end[y_last]``; its probability is the
    exponential of that over the sum for all label sequences (Lafferty et al.
    2001; on recurrent states, Huang, Xu & Yu 2015 and Lample et al. 2016).
    ``mask`` (batch, steps, bool) marks each sequence's true steps, a prefix
    of the steps; a sequence with no true step has likelihood 1 and an
    empty path.

    Parameters
    ----------
    n_tags : int
        Labels per step.

    Attributes
    ----------
    transitions : Parameter (n_tags, n_tags)
        Score of label ``j`` right after label ``i`` at ``[i, j]``.
    start, end : Parameter (n_tags,)
        Scores of the first and of the last label.
    """

    def __init__(self, n_tags):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(n_tags, n_tags))
        self.start = nn.Parameter(torch.zeros(n_tags))
        self.end = nn.Parameter(torch.zeros(n_tags))

    def _forward_scores(self, emissions, mask):
        """log alpha of every step (batch, steps, n_tags); a padded step repeats the last."""
        alpha = self.start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
            alphas.append(alpha)
        return torch.stack(alphas, dim=1)

    def log_partition(self, emissions, mask):
        """log Z of each sequence, shape (batch,)."""
        alpha = self._forward_scores(emissions, mask)[:, -1]
        return torch.logsumexp(alpha + self.end, dim=1)

    def score(self, emissions, tags, mask):
        """The unnormalised log score of the label sequences ``tags`` (batch, steps)."""
        tags = tags.masked_fill(~mask, 0)
        m = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        moved = self.transitions[tags[:, :-1], tags[:, 1:]]
        last = tags.gather(1, (mask.sum(1) - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
        return (
            self.start[tags[:, 0]]
            + (emitted * m).sum(1)
            + (moved * m[:, 1:]).sum(1)
            + self.end[last]
        )

    def neg_log_likelihood(self, emissions, tags, mask):
        """- log p(tags | emissions) of each sequence, shape (batch,); 0 for an empty one."""
        emissions = emissions.float()
        nll = self.log_partition(emissions, mask) - self.score(emissions, tags, mask)
        return nll.masked_fill(~mask[:, 0], 0.0)

    def marginals(self, emissions, mask):
        """p(y_t = k | emissions) of every step (batch, steps, n_tags), by forward-backward."""
        emissions = emissions.float()
        alphas = self._forward_scores(emissions, mask)
        beta = self.end.expand_as(alphas[:, 0])
        betas = [beta]
        for t in range(emissions.shape[1] - 2, -1, -1):
            step = torch.logsumexp(
                self.transitions + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2
            )
            beta = torch.where(mask[:, t + 1 : t + 2], step, beta)
            betas.append(beta)
        betas = torch.stack(betas[::-1], dim=1)
        return (alphas + betas).softmax(dim=-1)

    def decode(self, emissions, mask):
        """The most likely label sequences (Viterbi), shape (batch, steps); padding repeats."""
        emissions = emissions.float()
        n_tags = emissions.shape[-1]
        score = self.start + emissions[:, 0]
        keep = torch.arange(n_tags, device=emissions.device).expand_as(score)
        pointers = []
        for t in range(1, emissions.shape[1]):
            best, came_from = (score.unsqueeze(2) + self.transitions).max(dim=1)
            inside = mask[:, t : t + 1]
            score = torch.where(inside, best + emissions[:, t], score)
            pointers.append(torch.where(inside, came_from, keep))
        tag = (score + self.end).argmax(dim=1)
        path = [tag]
        for came_from in reversed(pointers):
            tag = came_from.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        return torch.stack(path[::-1], dim=1)


class TaggerModule(nn.Module):
    """Many-to-many: one label per step, from the states of a (bidirectional) recurrent encoder.

    Each step is read as a word embedding (token ids), optionally beside a
    character-level vector of the word (:class:`CharEncoderModule`), or as
    numeric features; the recurrent layers of :class:`RNNEncoderModule` run
    over the steps (``steps(..., aligned=True)``: the backward direction's
    state of a step sits at that step) and a linear layer gives each step's
    label logits, shape (batch, steps, n_tags).

    Parameters
    ----------
    n_tags : int
        Labels per step.
    num_embeddings : int or None
        Word vocabulary size; None for numeric input.
    input_size : int or None
        Features per step of numeric input.
    embedding_dim : int, default=100
        Width of the learned word embedding.
    embedding_weights : Tensor, optional
        Initial word embedding (e.g. GloVe rows).
    freeze_embedding : bool, default=False
        Keep the word embedding fixed.
    trainable_words : int or None, default=None
        With ``embedding_weights``: only the first ``trainable_words`` rows
        (the words of the training data) train; the others (words with a
        pretrained vector that training never saw) keep their vectors, so the
        optimizer never touches them. None: every row trains.
    num_chars : int or None, default=None
        Character vocabulary size; None: no character features.
    char_embedding_dim, char_size : int
        See :class:`CharEncoderModule`.
    char_encoder : {'cnn', 'lstm'}, default='cnn'
        The ``kind`` of :class:`CharEncoderModule`.
    num_affixes : int or None, default=None
        Size of the vocabulary of word features (affixes, shapes): each word
        then carries ``affix_features`` ids, in front of its characters in
        ``chars``, each read as an embedding of width ``affix_embedding_dim``
        and concatenated to the word's vector. None: no such features.
    affix_embedding_dim : int, default=20
    affix_features : int, default=7
    num_casings : int or None, default=None
        Number of casing class ids (padding included): each word then carries
        one more id, after its affix ids in ``chars``, read as an embedding
        of width ``casing_embedding_dim`` and concatenated to the word's
        vector. None: no casing feature.
    casing_embedding_dim : int, default=8
    linear_buckets : int or None, default=None
        Rows of a :class:`LinearTokenFeatures` path: each step then carries
        ``linear_columns`` feature ids (rows), first in ``chars`` (before the
        affix ids), and the path's scores are added to the output layer's.
        None: no such path.
    linear_columns : int, default=0
    word_dropout : float, default=0.0
        In training, the probability that a word id is replaced by ``oov_id``
        (its characters stay), so the out-of-vocabulary vector is trained and
        the model learns to tag from the characters and the context.
    oov_id : int, default=1
    embedding_dropout : float, default=0.0
        Dropout on each step's input vector.
    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.
    cell, hidden_size, num_layers, bidirectional :
        As in :class:`RNNEncoderModule`.
    crf : bool, default=False
        A :class:`LinearChainCRF` over the output scores: the loss is then the
        sequences' negative log-likelihood (``LinearChainCRF.neg_log_likelihood``),
        :meth:`decode` the Viterbi path and :meth:`marginals` the per-step
        label marginals. Without it each step is its own softmax.

    Attributes
    ----------
    crf : LinearChainCRF or None
    adversarial_input : nn.Identity or None
        Passes each step's input vector through unchanged: the point where
        adversarial training (:class:`~sklearn_rnn._nets.AdversarialEmbeddingMixin`)
        perturbs it. None for numeric input.
    """

    def __init__(
        self,
        *,
        n_tags,
        num_embeddings=None,
        input_size=None,
        embedding_dim=100,
        embedding_weights=None,
        freeze_embedding=False,
        trainable_words=None,
        num_chars=None,
        char_embedding_dim=30,
        char_size=50,
        char_encoder="cnn",
        num_affixes=None,
        affix_embedding_dim=20,
        affix_features=7,
        num_casings=None,
        casing_embedding_dim=8,
        linear_buckets=None,
        linear_columns=0,
        word_dropout=0.0,
        oov_id=1,
        embedding_dropout=0.0,
        dropout=0.0,
        cell="lstm",
        hidden_size=128,
        num_layers=1,
        bidirectional=True,
        crf=False,
    ):
        super().__init__()
        self.oov_id = oov_id
        self.word_dropout = word_dropout
        self.embedding = None
        self.chars = None
        self.affixes = None
        self.affix_features = 0
        self.casing = None
        self.linear = None
        self.linear_columns = 0
        step_size = input_size
        self.extra_embedding = None
        if num_embeddings is not None:
            if embedding_weights is not None:
                weights = embedding_weights.detach().clone().float()
                if trainable_words is not None and trainable_words < len(weights):
                    self.extra_embedding = nn.Embedding.from_pretrained(weights[trainable_words:])
                    weights = weights[:trainable_words]
                self.embedding = nn.Embedding.from_pretrained(
                    weights, freeze=freeze_embedding, padding_idx=0
                )
            else:
                self.embedding = nn.Embedding(num_embeddings, embedding_dim, padding_idx=0)
                _init_embedding(self.embedding)
                self.embedding.weight.requires_grad_(not freeze_embedding)
            step_size = self.embedding.embedding_dim
            if num_chars is not None:
                self.chars = CharEncoderModule(
                    num_chars, char_embedding_dim, char_size, kind=char_encoder
                )
                step_size += self.chars.output_size
            if num_affixes is not None:
                self.affixes = nn.Embedding(num_affixes, affix_embedding_dim, padding_idx=0)
                _init_embedding(self.affixes)
                self.affix_features = affix_features
                step_size += affix_features * affix_embedding_dim
            if num_casings is not None:
                self.casing = nn.Embedding(num_casings, casing_embedding_dim, padding_idx=0)
                _init_embedding(self.casing)
                step_size += casing_embedding_dim
            if linear_buckets is not None:
                self.linear = LinearTokenFeatures(linear_buckets, n_tags)
                self.linear_columns = linear_columns
        # The point where adversarial training perturbs each step's vector
        # (word embedding beside the affix and character vectors); numeric
        # input has none.
        self.adversarial_input = nn.Identity() if self.embedding is not None else None
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.encoder = RNNEncoderModule(
            input_size=step_size,
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
        )
        self.output_dropout = nn.Dropout(dropout)
        self.output = nn.Linear(self.encoder.output_size, n_tags)
        self.crf = LinearChainCRF(n_tags) if crf else None

    def embed_words(self, x):
        """The vectors of word ids (batch, steps): trained rows, then the fixed pretrained ones."""
        if self.extra_embedding is None:
            return self.embedding(x)
        n = self.embedding.num_embeddings
        known = x < n
        h = self.embedding(x.masked_fill(~known, self.oov_id))
        extra = self.extra_embedding((x - n).clamp_min(0))
        return torch.where(known.unsqueeze(-1), h, extra)

    def features(self, x, lengths, chars=None):
        """Each step's input vector (batch, steps, width), before the recurrent layers."""
        if self.embedding is None:
            return x
        if self.training and self.word_dropout > 0:
            dropped = torch.rand(x.shape, device=x.device) < self.word_dropout
            x = x.masked_fill(dropped & (x != 0), self.oov_id)
        h = self.embed_words(x)
        parts = [h]
        # getattr: a tagger pickled before the affix features has none.
        n_affixes = getattr(self, "affix_features", 0)
        if n_affixes:
            affixes, chars = chars[..., :n_affixes], chars[..., n_affixes:]
            parts.append(self.affixes(affixes).flatten(-2))
        # getattr: a tagger pickled before the casing feature has none.
        if getattr(self, "casing", None) is not None:
            parts.append(self.casing(chars[..., 0]))
            chars = chars[..., 1:]
        if self.chars is not None:
            parts.append(self.chars(chars))
        return torch.cat(parts, dim=-1) if len(parts) > 1 else h

    def forward(self, x, lengths, chars=None, sample_weight=None):
        # sample_weight rides in the batch for the loss; the network ignores it.
        if x.shape[1] == 0:  # a batch of empty sequences: no step to label
            return x.new_zeros((x.shape[0], 0, self.output.out_features), dtype=torch.float32)
        # getattr: a tagger pickled before the linear path has none.
        linear = getattr(self, "linear", None)
        if linear is not None:
            linear_ids, chars = chars[..., : self.linear_columns], chars[..., self.linear_columns :]
        h = self.features(x, lengths, chars)
        # getattr: a tagger pickled before adversarial training has no such point.
        if getattr(self, "adversarial_input", None) is not None:
            h = self.adversarial_input(h)
        states, _ = self.encoder.steps(self.embedding_dropout(h), lengths, aligned=True)
        scores = self.output(self.output_dropout(states))
        return scores if linear is None else scores + linear(linear_ids)

    @staticmethod
    def _mask(lengths, scores):
        # On the scores' device: the lengths may stay on the CPU for packing.
        lengths = lengths.to(device=scores.device, dtype=torch.int64)
        return torch.arange(scores.shape[1], device=scores.device) < lengths.unsqueeze(1)

    def marginals(self, x, lengths, chars=None, sample_weight=None):
        """Label probabilities of every step (batch, steps, n_tags): CRF marginals or softmax."""
        scores = self(x, lengths, chars)
        crf = getattr(self, "crf", None)  # a tagger pickled before the CRF layer has none
        if crf is None or scores.shape[1] == 0:
            return scores.float().softmax(dim=-1)
        return crf.marginals(scores, self._mask(lengths, scores))

    def decode(self, x, lengths, chars=None, sample_weight=None):
        """The label id of every step (batch, steps): the Viterbi path, or each step's best."""
        scores = self(x, lengths, chars)
        crf = getattr(self, "crf", None)
        if crf is None or scores.shape[1] == 0:
            return scores.argmax(dim=-1)
        return crf.decode(scores, self._mask(lengths, scores))


class TaggerEnsembleModule(nn.Module):
    """Several :class:`TaggerModule` networks trained side by side; predicting, their average.

    The tagger's counterpart of :class:`EnsembleModule`: each member starts
    from its own random weights and sees the same batches. In training the
    output is every member's label scores, shape (batch, members, steps,
    n_tags), so that each member is trained on its own loss
    (:class:`~sklearn_rnn._nets.TaggerNet` averages them); in evaluation it
    is the mean of the members' scores, (batch, steps, n_tags), so that early
    stopping, predictions and export see one model. No CRF layer: the
    members' transition scores would have to be shared.

    Parameters
    ----------
    ensemble_size : int
        Members, at least 2.
    **params
        The keyword arguments of each :class:`TaggerModule` (``crf`` False).
    """

    def __init__(self, *, ensemble_size, **params):
        super().__init__()
        if ensemble_size < 2:
            raise ValueError(f"ensemble_size must be at least 2; got {ensemble_size}.")
        if params.get("crf"):
            raise ValueError("An ensemble of taggers has no CRF layer; set crf=False.")
        self.members = nn.ModuleList(TaggerModule(**params) for _ in range(ensemble_size))
        self.crf = None

    def forward(self, x, lengths, chars=None, sample_weight=None):
        outs = torch.stack([member(x, lengths, chars) for member in self.members], dim=1)
        return outs if self.training else outs.mean(dim=1)

    def marginals(self, x, lengths, chars=None, sample_weight=None):
        """Label probabilities of every step (batch, steps, n_tags): softmax of the mean scores."""
        return self(x, lengths, chars).float().softmax(dim=-1)

    def decode(self, x, lengths, chars=None, sample_weight=None):
        """The label id of every step (batch, steps): the best of the mean scores."""
        return self(x, lengths, chars).argmax(dim=-1)


def _adaptive_cutoffs(num_embeddings, cutoffs=(1000, 5000)):
    """The adaptive softmax's cluster edges that a vocabulary of ``num_embeddings`` ids reaches."""
    return [c for c in cutoffs if c < num_embeddings - 1]


class LanguageModelModule(nn.Module):
    """A recurrent language model: the log-probability of each next token of a sequence.

    Each sequence arrives wrapped in its begin and end ids; the encoder
    (unidirectional, its top states per step) reads all but the last, and
    the output layer scores the next id at each step. The output layer is an
    adaptive softmax (:class:`torch.nn.AdaptiveLogSoftmaxWithLoss`, Grave et
    al. 2017) over ids grouped by frequency (the tokenizer numbers the most
    frequent first): the first 1,000 ids in the head, rarer ids in clusters
    scored only when needed, which costs a fraction of a full softmax over a
    vocabulary of tens of thousands. A vocabulary under 1,000 ids gets a
    plain softmax.

    Parameters
    ----------
    num_embeddings : int
        Size of the id vocabulary (reserved ids included): the tokens scored.
    dropout : float, default=0.0
        Dropout on the embedded input, between stacked layers and on the top
        states before the output layer.
    **encoder_params
        The other keyword arguments of :class:`RNNEncoderModule`
        (``embedding_dim``, ``cell``, ``hidden_size``, ``num_layers``);
        it reads one direction.
    """

    def __init__(self, *, num_embeddings, dropout=0.0, **encoder_params):
        super().__init__()
        self.encoder = RNNEncoderModule(
            num_embeddings=num_embeddings,
            bidirectional=False,
            dropout=dropout,
            embedding_dropout=dropout,
            **encoder_params,
        )
        _init_embedding(self.encoder.embedding)
        self.output_dropout = nn.Dropout(dropout)
        hidden = self.encoder.output_size
        cutoffs = _adaptive_cutoffs(num_embeddings)
        if cutoffs:
            self.output = nn.AdaptiveLogSoftmaxWithLoss(
                hidden, num_embeddings, cutoffs=cutoffs, div_value=4.0
            )
        else:
            self.output = nn.Linear(hidden, num_embeddings)

    def forward(self, x, lengths):
        """The log-likelihood of each sequence, summed over its predicted tokens.

        ``x`` (batch, steps) holds each sequence between its begin and end ids
        (padded at the end with 0), ``lengths`` the lengths with both ids: the
        model predicts ``lengths - 1`` tokens of each, the end id included.
        """
        inputs, targets = x[:, :-1], x[:, 1:]
        h, mask = self.encoder.steps(inputs, lengths - 1)
        h = self.output_dropout(h[mask])  # the true steps only: (tokens, hidden)
        tokens = targets[mask]
        if isinstance(self.output, nn.AdaptiveLogSoftmaxWithLoss):
            logp = self.output(h, tokens).output
        else:
            logp = F.log_softmax(self.output(h), dim=-1).gather(1, tokens[:, None])[:, 0]
        # Each sequence's sum: the steps of row i are contiguous in h[mask].
        rows = torch.arange(len(x), device=x.device).unsqueeze(1).expand_as(mask)[mask]
        return logp.new_zeros(len(x)).index_add_(0, rows, logp)


class SequenceNLLLoss(nn.Module):
    """The negative of each sequence's log-likelihood, as a language model gives it.

    The model computes the log-likelihood itself (its adaptive softmax needs
    the next tokens), so the loss only negates it; the net weights and
    averages it per token.

    Parameters
    ----------
    reduction : {'none'}, default='none'
        One loss per sequence (the estimators' nets reduce).
    """

    def __init__(self, reduction="none"):
        super().__init__()
        if reduction != "none":
            raise ValueError(f"SequenceNLLLoss gives one loss per sequence; got {reduction!r}.")

    def forward(self, log_likelihood, y_true=None):
        return -log_likelihood


class ClassLanguageModelsModule(nn.Module):
    """One :class:`LanguageModelModule` per class: the generative classifier's networks.

    In training (``labels`` given) each sequence is read by its own class's
    model only and the output is its log-likelihood there, shape (batch,);
    without labels every model reads every sequence and the output is the
    log-likelihoods, shape (batch, n_classes), from which Bayes' rule gives
    the class (Mesnil et al. 2014 on IMDB: a language model per sentiment).

    Parameters
    ----------
    n_classes : int
        Classes, one language model each.
    **params
        The keyword arguments of :class:`LanguageModelModule`.
    """

    def __init__(self, *, n_classes, **params):
        super().__init__()
        self.models = nn.ModuleList(LanguageModelModule(**params) for _ in range(n_classes))

    def forward(self, x, lengths, labels=None, sample_weight=None):
        if labels is None:
            return self.log_likelihoods(x, lengths)
        labels = labels.to(x.device)
        out = torch.zeros(len(x), device=x.device)
        for k, model in enumerate(self.models):
            rows = torch.nonzero(labels == k).flatten()
            if len(rows):
                # Each model pays only for its own class's padding.
                width = int(lengths[rows.cpu()].max())
                out = out.index_put((rows,), model(x[rows, :width], lengths[rows.cpu()]))
        return out

    def log_likelihoods(self, x, lengths):
        """Every class model's log-likelihood of each sequence: (batch, n_classes)."""
        return torch.stack([model(x, lengths) for model in self.models], dim=1)
