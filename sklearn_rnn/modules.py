"""Layer 3: the PyTorch networks. Plain ``torch.nn.Module``s: no sklearn, no skorch, no numpy.

One encoder (embedding, recurrent layers, pooling) serves every head. Batches are
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

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


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
    ):
        super().__init__()
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
        h = self.embedding(x) if self.embedding is not None else x
        h = self.embedding_dropout(h)
        batch, steps = h.shape[:2]
        time = torch.arange(steps, device=h.device).unsqueeze(0)
        lengths = lengths.to(h.device).unsqueeze(1)
        mask = time < lengths
        if self.bidirectional:
            # Position t of a sequence of length L reads position L-1-t; padding stays put.
            flip = torch.where(mask, lengths - 1 - time, time).unsqueeze(-1)
        for i, layer in enumerate(self.forward_layers):
            if i:
                h = self.dropout(h)
            out, _ = layer(h)
            if self.bidirectional:
                h_rev = h.gather(1, flip.expand(-1, -1, h.shape[-1]))
                out_rev, _ = self.backward_layers[i](h_rev)
                out_rev = out_rev.gather(1, flip.expand(-1, -1, out_rev.shape[-1]))
                out = torch.cat([out, out_rev], dim=-1)
            h = out
        if self.pooling == "last":
            last = (lengths - 1).unsqueeze(-1).expand(-1, 1, self.hidden_size)
            rep = h[..., : self.hidden_size].gather(1, last).squeeze(1)
            if self.bidirectional:
                rep = torch.cat([rep, h[:, 0, self.hidden_size :]], dim=-1)
            return rep
        if self.pooling == "max":
            return h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
        return (h * mask.unsqueeze(-1)).sum(dim=1) / lengths.to(h.dtype)


class ManyToOneModule(nn.Module):
    """Many-to-one: the encoder, dropout, and a linear layer giving ``n_outputs`` values.

    The outputs are class logits for a classifier (no softmax: the loss is
    ``CrossEntropyLoss``) or real values for a regressor.
    """

    def __init__(self, *, n_outputs, output_dropout=0.0, **encoder_params):
        super().__init__()
        self.encoder = RNNEncoderModule(**encoder_params)
        self.output_dropout = nn.Dropout(output_dropout)
        self.output = nn.Linear(self.encoder.output_size, n_outputs)

    def forward(self, x, lengths, sample_weight=None):
        # sample_weight rides in the batch for the loss; the network ignores it.
        return self.output(self.output_dropout(self.encoder(x, lengths)))
