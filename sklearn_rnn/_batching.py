"""Layer 1: batching: a Dataset of ragged sequences, length buckets, and the collate functions.

Padding happens here and only here at training and inference time: a batch
is padded at the end to its own longest sequence (with
:func:`~sklearn_rnn.pad_sequences`, the one padding function), and the true
lengths travel with it, so the networks never read padding.
"""

import numpy as np
import torch

from ._sequences import BOS_ID, EOS_ID, pad_sequences, sequence_lengths


class SequenceDataset(torch.utils.data.Dataset):
    """Ragged sequences with targets and sample weights, one item at a time.

    Items are ``(sequence, target, weight)``; the target is None when the
    dataset has none (inference), the weight 1 when no weights were given.
    """

    def __init__(self, sequences, targets=None, sample_weight=None):
        self._sequences = sequences
        self._targets = targets
        self._weights = sample_weight
        self.lengths = sequence_lengths(sequences)

    def __len__(self):
        return len(self._sequences)

    sequences = property(lambda self: self._sequences)
    targets = property(lambda self: self._targets)
    sample_weight = property(lambda self: self._weights)

    def __getitem__(self, i):
        target = None if self._targets is None else self._targets[i]
        weight = 1.0 if self._weights is None else self._weights[i]
        return self._sequences[i], target, weight

    def subset(self, indices):
        """The items at ``indices``, in that order."""
        return SequenceDataset(
            [self._sequences[i] for i in indices],
            None if self._targets is None else self._targets[indices],
            None if self._weights is None else self._weights[indices],
        )


class LengthBucketBatchSampler(torch.utils.data.Sampler):
    """Batches of sequences of similar length, in random order: little padding, same results.

    Each epoch shuffles the indices, cuts them into pools of
    ``batch_size * pool_batches`` sequences, sorts each pool by length, cuts
    it into batches and shuffles the order of all batches. A batch is padded
    only to its own longest sequence (see :func:`collate_sequences`), so on
    documents of very different lengths (IMDB: median 173 tokens, a long
    tail) most of the padded steps a random batch would compute disappear.
    Randomness comes from torch's global generator, so ``torch.manual_seed``
    (``random_state``) makes the batches reproducible.
    """

    def __init__(self, lengths, batch_size, *, shuffle=True, pool_batches=50):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.pool_batches = pool_batches

    def __len__(self):
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        n = len(self.lengths)
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            yield from (
                order[i : i + self.batch_size].tolist() for i in range(0, n, self.batch_size)
            )
            return
        rng = np.random.default_rng(int(torch.randint(2**31 - 1, ())))
        perm = rng.permutation(n)
        pool = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, n, pool):
            chunk = perm[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            )
        for j in rng.permutation(len(batches)):
            yield batches[j].tolist()


#: Build the batches of :func:`collate_sequences` (the classifier's and the
#: regressor's) on the model's device, from the dataset copied there once
#: (:class:`PackedSequences`), instead of padding each batch on the host and
#: copying it. Off until measured on a GPU: ``benchmarks/bench_gpu.py
#: --on-device`` times both; on this 2-core CPU the gather is no faster than
#: numpy's padding (0.04-0.39 ms a batch against 0.06-0.22 ms).
BATCHES_ON_DEVICE = False


class PackedSequences:
    """A :class:`SequenceDataset` as tensors on one device, its batches gathered there.

    The steps of all sequences end to end (one zero step after them, which
    padding positions read), where each sequence starts, its length, the
    targets and the sample weights. :meth:`batch` gives what
    :func:`collate_sequences` gives for the same items, on the device.
    """

    def __init__(self, dataset, device, *, numeric=False):
        dtype = np.float32 if numeric else np.int64
        sequences = [np.asarray(s, dtype=dtype) for s in dataset.sequences]
        tail = sequences[0].shape[1:] if sequences else ()
        flat = np.concatenate([*sequences, np.zeros((1, *tail), dtype=dtype)])
        self.device = torch.device(device)
        self.lengths_ = np.asarray(dataset.lengths, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(self.lengths_)[:-1]]).astype(np.int64)
        self.flat = torch.from_numpy(flat).to(self.device)
        self.pad = len(flat) - 1
        self.lengths = torch.from_numpy(self.lengths_).to(self.device)
        self.starts = torch.from_numpy(starts).to(self.device)
        self.targets = None
        if dataset.targets is not None:
            self.targets = torch.as_tensor(np.asarray(dataset.targets)).to(self.device)
            weights = dataset.sample_weight
            weights = np.ones(len(dataset)) if weights is None else np.asarray(weights)
            self.weights = torch.as_tensor(weights, dtype=torch.float32).to(self.device)

    def batch(self, indices):
        """``collate_sequences`` of the items at ``indices``, built on the device."""
        indices = np.asarray(indices, dtype=np.int64)
        width = int(self.lengths_[indices].max()) if len(indices) else 0
        idx = torch.from_numpy(indices).to(self.device, non_blocking=True)
        lengths = self.lengths[idx]
        steps = torch.arange(width, device=self.device)
        positions = self.starts[idx].unsqueeze(1) + steps
        positions = positions.masked_fill(steps >= lengths.unsqueeze(1), self.pad)
        X = {"x": self.flat[positions], "lengths": lengths}
        if self.targets is None:
            return X, None
        X["sample_weight"] = self.weights[idx]
        return X, self.targets[idx]


class DeviceBatches:
    """The DataLoader's stand-in when batches are built on the device (``BATCHES_ON_DEVICE``).

    Iterating it draws from torch's global generator what a DataLoader's
    iterator draws (``draw_seed``: training), so a fit's random stream, and so
    its model, is the one the DataLoader gives.
    """

    def __init__(self, packed, batch_sampler, *, draw_seed):
        self.packed = packed
        self.batch_sampler = batch_sampler
        self.draw_seed = draw_seed

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        if self.draw_seed:
            torch.empty((), dtype=torch.int64).random_()
        for indices in self.batch_sampler:
            yield self.packed.batch(indices)


def _packed(dataset, device, collate_fn):
    """The dataset packed on ``device`` (built once per dataset), or None where it does not apply.

    It applies with ``BATCHES_ON_DEVICE``, a device given, and the collate
    function :func:`collate_sequences`, whose batches it reproduces.
    """
    if not BATCHES_ON_DEVICE or device is None or not isinstance(dataset, SequenceDataset):
        return None
    if getattr(collate_fn, "func", collate_fn) is not collate_sequences:
        return None
    numeric = bool(getattr(collate_fn, "keywords", {}).get("numeric", False))
    cache = dataset.__dict__.setdefault("_packed", {})
    key = (str(device), numeric)
    if key not in cache:
        cache[key] = PackedSequences(dataset, device, numeric=numeric)
    return cache[key]


def bucketed_loader(
    dataset, *, batch_size, shuffle=False, bucket_by_length=True, device=None, **kwargs
):
    """skorch's training iterator: a DataLoader over length-bucketed batches.

    With ``bucket_by_length=False`` (or a dataset without ``lengths``) it is
    the plain ``DataLoader``, random batches as in any PyTorch loop. With
    ``BATCHES_ON_DEVICE`` the same bucketed batches are built on ``device``
    (:class:`DeviceBatches`).
    """
    if not bucket_by_length or not hasattr(dataset, "lengths"):
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=shuffle, **kwargs
        )
    sampler = LengthBucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle)
    packed = _packed(dataset, device, kwargs.get("collate_fn"))
    if packed is not None:
        return DeviceBatches(packed, sampler, draw_seed=True)
    return torch.utils.data.DataLoader(dataset, batch_sampler=sampler, **kwargs)


def inference_loader(dataset, *, device=None, **kwargs):
    """skorch's validation and prediction iterator: a DataLoader that leaves torch's RNG alone.

    A DataLoader draws a seed for its workers from torch's global generator
    each time it is iterated, even with no worker and no shuffling; so every
    validation pass and every ``predict`` would move the random stream that
    training's batches and dropout read next. With a generator of its own,
    training one epoch at a time and scoring in between (``partial_fit``,
    pruned searches) trains exactly as one ``fit`` does. With
    ``BATCHES_ON_DEVICE`` the same batches are built on ``device``.
    """
    packed = _packed(dataset, device, kwargs.get("collate_fn"))
    if packed is not None:
        batches = torch.utils.data.BatchSampler(
            torch.utils.data.SequentialSampler(dataset),
            kwargs.get("batch_size", 1),
            drop_last=False,
        )
        return DeviceBatches(packed, batches, draw_seed=False)
    return torch.utils.data.DataLoader(dataset, generator=torch.Generator(), **kwargs)


def by_length(lengths, *, enabled=True):
    """The order that sorts sequences by length (stable), and the order that undoes it."""
    if not enabled:
        identity = np.arange(len(lengths))
        return identity, identity
    order = np.argsort(lengths, kind="stable")
    return order, np.argsort(order, kind="stable")


def _padded(sequences, dtype=np.int64):
    return torch.from_numpy(pad_sequences(sequences, padding="post", dtype=dtype))


def collate_sequences(batch, *, numeric=False):
    """Pad a batch at the end to its own longest sequence; lengths travel in X.

    X is ``{'x', 'lengths', 'sample_weight'}`` and y the stacked targets; a
    dataset without targets (inference) gives ``{'x', 'lengths'}`` and None.
    """
    sequences, targets, weights = zip(*batch)
    X = {
        "x": _padded(sequences, np.float32 if numeric else np.int64),
        "lengths": torch.tensor([len(s) for s in sequences], dtype=torch.int64),
    }
    if targets[0] is None:
        return X, None
    X["sample_weight"] = torch.tensor(weights, dtype=torch.float32)
    return X, torch.as_tensor(np.asarray(targets))


def collate_pairs(batch):
    """Pad a batch of (source, target) id pairs for teacher-forced training.

    The decoder reads ``target_in`` (begin marker, then the target) and learns
    to predict ``target_out`` (the target, then the end marker); padding (0)
    is ignored by the loss. Without targets (decoding) X holds the source only.
    """
    sources, targets, _ = zip(*batch)
    X = {
        "source": _padded(sources),
        "source_lengths": torch.tensor([len(s) for s in sources], dtype=torch.int64),
    }
    if targets[0] is None:
        return X, None
    X["target_in"] = _padded([np.concatenate([[BOS_ID], t]) for t in targets])
    return X, _padded([np.concatenate([t, [EOS_ID]]) for t in targets])


def collate_language_model(batch):
    """Pad a batch for class language models: each sequence between its begin and end ids.

    X is ``{'x', 'lengths'}`` (lengths with both ids), plus the class
    indices as ``labels`` (each sequence is read by its own class's model)
    and ``sample_weight`` when the dataset has targets; y is the labels too.
    """
    sequences, targets, weights = zip(*batch)
    X = {
        "x": _padded([np.concatenate([[BOS_ID], s, [EOS_ID]]) for s in sequences]),
        "lengths": torch.tensor([len(s) + 2 for s in sequences], dtype=torch.int64),
    }
    if targets[0] is None:
        return X, None
    labels = torch.as_tensor(np.asarray(targets))
    X["labels"] = labels
    X["sample_weight"] = torch.tensor(weights, dtype=torch.float32)
    return X, labels


#: The label of padding steps in a tagging batch: the loss ignores it (torch's default).
IGNORE_LABEL = -100


def collate_tagged(batch, *, numeric=False):
    """Pad a tagging batch: steps as in :func:`collate_sequences`, labels with ``IGNORE_LABEL``.

    An id sequence may carry its words' features: a 2-D array (steps,
    1 + features) whose column 0 is the word ids and the rest each word's
    feature ids (the tagger's affix and shape ids, then its character ids),
    0 padded; the batch then also holds ``chars`` (batch, steps, widest
    word's features). Labels are one per step.
    """
    sequences, targets, weights = zip(*batch)
    lengths = [len(s) for s in sequences]
    if numeric or sequences[0].ndim == 1:
        X = {"x": _padded(sequences, np.float32 if numeric else np.int64)}
    else:
        width = max(s.shape[1] for s in sequences)
        steps = np.zeros((len(sequences), max(lengths), width), dtype=np.int64)
        for i, s in enumerate(sequences):
            steps[i, : len(s), : s.shape[1]] = s
        X = {"x": torch.from_numpy(steps[:, :, 0]), "chars": torch.from_numpy(steps[:, :, 1:])}
    X["lengths"] = torch.tensor(lengths, dtype=torch.int64)
    if targets[0] is None:
        return X, None
    X["sample_weight"] = torch.tensor(weights, dtype=torch.float32)
    labels = pad_sequences(targets, padding="post", dtype=np.int64, value=IGNORE_LABEL)
    return X, torch.from_numpy(labels)
