"""Real text data sets, local copy first: IMDB, SMS spam, short sentences, English-French, UD.

Each loader looks, in order, at an explicit ``path``, an environment variable,
and the data home (``data_home``: ``$SKLEARN_RNN_DATA`` or
``~/sklearn_rnn_data``), at its top and in the data set's subfolder
(``imdb/``, ``sms_spam/``, ``sentence_polarity/``, ``tatoeba_fra_eng/``,
``ud_english_ewt/``: ``SKLEARN_RNN_DATA=../shared/data`` finds them all).
It reads the canonical published format (for IMDB the ``aclImdb_v1.tar.gz``
tarball or its extracted folder) and the compact forms (``imdb_50k.csv.gz``).
When nothing is there it downloads the canonical
archive into the cache, verifies its checksum and keeps it; offline, the
error says where to put the file. Archives are read member by member, never
extracted, so nothing is written outside the cache.
"""

import gzip
import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass

import pandas as pd
from sklearn.utils import Bunch


@dataclass(frozen=True)
class RemoteFile:
    """A canonical archive, with the checksum that pins it (of the archive or of a member).

    Parameters
    ----------
    url : str
        Where the archive is published.
    filename : str
        Its name in the data home.
    algorithm : str, default='md5'
        The ``hashlib`` algorithm of ``checksum``.
    checksum : str or None, default=None
        The expected digest; None checks nothing.
    member : str or None, default=None
        When set, the checksum is of this member of the archive, not of the archive.
    """

    url: str
    filename: str
    algorithm: str = "md5"
    checksum: str | None = None
    member: str | None = None  # when set, the checksum is of this member's bytes


REMOTE = {
    "imdb": RemoteFile(
        url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        filename="aclImdb_v1.tar.gz",
        algorithm="md5",
        checksum="7c2ac02c03563afcf9b574c7e56c153a",
    ),
    "sms_spam": RemoteFile(
        url="https://archive.ics.uci.edu/ml/machine-learning-databases/00228/smsspamcollection.zip",
        filename="smsspamcollection.zip",
        algorithm="sha256",
        checksum="7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
        member="SMSSpamCollection",
    ),
}


def get_data_home(data_home=None):
    """The cache: ``data_home``, else ``$SKLEARN_RNN_DATA``, else ``~/sklearn_rnn_data``."""
    home = data_home or os.environ.get("SKLEARN_RNN_DATA") or os.path.join("~", "sklearn_rnn_data")
    home = os.path.expanduser(home)
    os.makedirs(home, exist_ok=True)
    return home


def _digest(data, algorithm):
    return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()


def _verify(path, remote):
    if remote.member is None:
        h = hashlib.new(remote.algorithm, usedforsecurity=False)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        actual = h.hexdigest()
    else:
        with zipfile.ZipFile(path) as archive:
            actual = _digest(archive.read(remote.member), remote.algorithm)
    if actual != remote.checksum:
        raise ValueError(
            f"Checksum mismatch for {remote.url}: expected {remote.algorithm} "
            f"{remote.checksum}, got {actual}. The download is corrupted or the file has "
            "changed; nothing was kept."
        )


def fetch(remote, data_home=None):
    """Download ``remote`` into the cache (once), verify its checksum and return its path."""
    target = os.path.join(get_data_home(data_home), remote.filename)
    if os.path.exists(target):
        return target
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(remote.url, timeout=30) as resp:
            shutil.copyfileobj(resp, out)
        _verify(tmp, remote)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


#: The subfolder of the data home each data set may sit in (as in ``../shared/data``).
FOLDERS = {
    "imdb": "imdb",
    "sms_spam": "sms_spam",
    "subj": "sentence_polarity",
    "cr": "sentence_polarity",
    "mpqa": "sentence_polarity",
    "fra_eng": "tatoeba_fra_eng",
    "ud_ewt": "ud_english_ewt",
}


def _locate(name, path, env, data_home, candidates, folder=None):
    """The first local copy: explicit path, environment variable, then the data home.

    In the data home a file may sit at the top or in the data set's own
    subfolder (``FOLDERS``: ``imdb/``, ``sms_spam/``, ...).
    """
    if path is not None:
        if not os.path.exists(path):
            raise FileNotFoundError(f"No {name} data at path={path!r}.")
        return path
    if os.environ.get(env):
        given = os.environ[env]
        if os.path.isdir(given):  # a folder that holds the file (else the data itself)
            inside = [os.path.join(given, c) for c in candidates]
            found = next((c for c in inside if os.path.exists(c)), None)
            if found is not None:
                return found
        if os.path.exists(given):
            return given
        warnings.warn(f"${env}={os.environ[env]!r} does not exist; looking further.", stacklevel=3)
    home = get_data_home(data_home)
    for place in (home, os.path.join(home, folder)) if folder else (home,):
        for candidate in candidates:
            full = os.path.join(place, candidate)
            if os.path.exists(full):
                return full
    return None


def _missing(name, env, data_home, candidates, reason):
    home = get_data_home(data_home)
    return FileNotFoundError(
        f"The {name} data set is not on this machine and {reason}. Put one of "
        f"{', '.join(candidates)} in {home} or a subfolder of it named as in FOLDERS "
        f"(or pass path=..., or set ${env}, or $SKLEARN_RNN_DATA to the folder above)."
    )


def _find_or_fetch(name, key, path, env, data_home, candidates, download_if_missing):
    found = _locate(name, path, env, data_home, candidates, FOLDERS.get(key))
    if found is not None:
        return found
    remote = REMOTE.get(key)
    if remote is None:
        raise _missing(
            name, env, data_home, candidates, "no download with a pinned checksum exists"
        )
    if not download_if_missing:
        raise _missing(name, env, data_home, candidates, "download_if_missing=False")
    try:
        return fetch(remote, data_home)
    except (urllib.error.URLError, OSError) as exc:
        raise _missing(
            name, env, data_home, candidates, f"downloading {remote.url} failed ({exc})"
        ) from None


_IMDB_MEMBER = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def _imdb_rows(names_and_readers):
    rows = []
    for name, read in names_and_readers:
        match = _IMDB_MEMBER.search(name)
        if match:
            split, polarity, review_id, rating = match.groups()
            text = read().decode("utf-8")
            rows.append((split, int(review_id), int(rating), int(polarity == "pos"), text))
    if not rows:
        raise ValueError(
            "No reviews found: expected aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt."
        )
    frame = pd.DataFrame(rows, columns=["split", "id", "rating", "label", "text"])
    return frame.sort_values(
        ["split", "label", "id"], ascending=[False, True, True], ignore_index=True
    )


def _read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def _read_imdb(path):
    if os.path.isdir(path):
        members = []
        for root, _, files in os.walk(path):
            for f in files:
                full = os.path.join(root, f)
                members.append((full.replace(os.sep, "/"), lambda full=full: _read_bytes(full)))
        return _imdb_rows(members)
    if tarfile.is_tarfile(path):
        with tarfile.open(path, "r:*") as archive:
            return _imdb_rows(
                (m.name, lambda m=m: archive.extractfile(m).read()) for m in archive if m.isfile()
            )
    frame = pd.read_csv(path)
    missing = {"split", "label", "text"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: an IMDB CSV needs the columns split, label, text; missing {missing}."
        )
    return frame


def _bunch(frame, text_column, target_column, subset, return_X_y, as_frame, descr):
    if subset != "all":
        if "split" not in frame or subset not in set(frame["split"]):
            raise ValueError(f"subset must be 'all' or one of the splits; got {subset!r}.")
        frame = frame[frame["split"] == subset].reset_index(drop=True)
    X = frame[text_column] if as_frame else frame[text_column].to_numpy(dtype=object)
    y = frame[target_column] if as_frame else frame[target_column].to_numpy()
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=frame if as_frame else None,
        DESCR=descr,
        split=frame["split"].to_numpy() if "split" in frame else None,
    )


def load_imdb(
    *,
    subset="all",
    path=None,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
):
    """Load the Large Movie Review Dataset (Maas et al., 2011): 25k train / 25k test reviews.

    Parameters
    ----------
    subset : {'all', 'train', 'test'}, default='all'
        The official split to return.
    path : str, default=None
        A local copy: ``aclImdb_v1.tar.gz``, its extracted ``aclImdb`` folder,
        or a CSV with columns ``split``, ``label``, ``text`` (like
        ``imdb_50k.csv.gz``). Else ``$SKLEARN_RNN_IMDB``, else the cache.
    data_home : str, default=None
        Cache directory (see :func:`get_data_home`).
    download_if_missing : bool, default=True
        Download the canonical tarball (84 MB, checksum verified) if no copy is found.
    return_X_y : bool, default=False
        Return ``(texts, labels)`` instead of a Bunch.
    as_frame : bool, default=False
        Texts and labels as pandas objects, and the whole table in ``frame``
        (columns ``split``, ``id``, ``rating``, ``label``, ``text``).

    Returns
    -------
    data : Bunch with ``data`` (raw review texts, ``<br />`` tags kept), ``target``
        (1 positive, 0 negative), ``split``, ``frame`` and ``DESCR``; or ``(X, y)``.
    """
    candidates = ["imdb_50k.csv.gz", "aclImdb_v1.tar.gz", "aclImdb"]
    found = _find_or_fetch(
        "IMDB", "imdb", path, "SKLEARN_RNN_IMDB", data_home, candidates, download_if_missing
    )
    return _bunch(
        _read_imdb(found),
        "text",
        "label",
        subset,
        return_X_y,
        as_frame,
        "IMDB Large Movie Review Dataset v1.0 (Maas et al., ACL 2011).",
    )


def _read_sms(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("SMSSpamCollection")
    else:
        with open(path, "rb") as f:
            raw = f.read()
    rows = []
    for lineno, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("ham", "spam"):
            raise ValueError(f"{path}: line {lineno} is not 'ham|spam<TAB>text'.")
        rows.append((label, text))
    return pd.DataFrame(rows, columns=["label", "text"])


def load_sms_spam(
    *, path=None, data_home=None, download_if_missing=True, return_X_y=False, as_frame=False
):
    """Load the UCI SMS Spam Collection: 5,574 messages labelled 'ham' or 'spam'.

    Looks at ``path``, ``$SKLEARN_RNN_SMS_SPAM``, then the cache
    (``SMSSpamCollection`` or ``smsspamcollection.zip``); downloads the UCI zip
    (the message file's sha256 is verified) if none is there. Other parameters
    as in :func:`load_imdb` (there is no official split).
    """
    candidates = ["SMSSpamCollection", "smsspamcollection.zip"]
    found = _find_or_fetch(
        "SMS spam",
        "sms_spam",
        path,
        "SKLEARN_RNN_SMS_SPAM",
        data_home,
        candidates,
        download_if_missing,
    )
    return _bunch(
        _read_sms(found),
        "text",
        "label",
        "all",
        return_X_y,
        as_frame,
        "UCI SMS Spam Collection (Almeida and Hidalgo, 2011).",
    )


#: The short-text polarity sets: name -> (file, description).
SENTENCE_POLARITY = {
    "subj": ("subj.all", "SUBJ subjectivity (Pang & Lee, 2004): 10,000 sentences, 5,000 / 5,000."),
    "cr": ("custrev.all", "CR customer-review polarity (Hu & Liu, 2004): 3,775 sentences."),
    "mpqa": ("mpqa.all", "MPQA opinion polarity (Wiebe et al., 2005): 10,606 phrases."),
}


def _read_labelled_lines(path):
    with open(path, "rb") as f:
        raw = f.read()
    rows = []
    # latin-1, split on "\n" only: subj.all holds stray 0x85 bytes that
    # str.splitlines would take for line breaks.
    for lineno, line in enumerate(raw.decode("latin-1").split("\n"), start=1):
        if not line.strip():
            continue
        label, sep, text = line.rstrip("\r").partition(" ")
        if not sep or label not in ("0", "1"):
            raise ValueError(f"{path}: line {lineno} is not '0|1 text'.")
        rows.append((int(label), text.strip()))  # CR holds one empty text: kept, as ""
    return pd.DataFrame(rows, columns=["label", "text"])


def load_sentence_polarity(name, *, path=None, data_home=None, return_X_y=False, as_frame=False):
    """Load a short-text classification set: SUBJ, CR or MPQA (one ``label text`` line each).

    The sentences are already lowercased and tokenized; labels are 0 and 1.
    There is no official split: the literature reports stratified 10-fold
    cross-validation (Kim 2014; Wang & Manning 2012). Looks at ``path`` (the
    file), ``$SKLEARN_RNN_SENTENCE_POLARITY`` (the folder holding
    ``subj.all``, ``custrev.all``, ``mpqa.all``), then the cache. Nothing is
    downloaded (no published archive has a checksum to pin).

    Parameters
    ----------
    name : {'subj', 'cr', 'mpqa'}
        The data set.
    path : str, default=None
        A local copy of its file.
    data_home : str, default=None
        Cache directory (see :func:`get_data_home`).
    return_X_y : bool, default=False
        Return ``(texts, labels)`` instead of a Bunch.
    as_frame : bool, default=False
        Texts and labels as pandas objects.

    Returns
    -------
    data : Bunch with ``data``, ``target``, ``frame`` and ``DESCR``; or ``(X, y)``.
    """
    if name not in SENTENCE_POLARITY:
        raise ValueError(f"name must be one of {sorted(SENTENCE_POLARITY)}; got {name!r}.")
    filename, descr = SENTENCE_POLARITY[name]
    env = "SKLEARN_RNN_SENTENCE_POLARITY"
    found = _find_or_fetch(name.upper(), name, path, env, data_home, [filename], False)
    if os.path.isdir(found):
        raise FileNotFoundError(f"{found} holds no {filename}.")
    frame = _read_labelled_lines(found)
    return _bunch(frame, "text", "label", "all", return_X_y, as_frame, descr)


def _read_pairs(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            name = next(
                n for n in archive.namelist() if n.endswith(".txt") and "about" not in n.lower()
            )
            raw = archive.read(name)
    else:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    rows = []
    for lineno, line in enumerate(io.StringIO(raw.decode("utf-8")), start=1):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            if line.strip():
                raise ValueError(f"{path}: line {lineno} is not 'english<TAB>french'.")
            continue
        rows.append((parts[0], parts[1]))
    return pd.DataFrame(rows, columns=["english", "french"])


def load_fra_eng(*, path=None, data_home=None, return_X_y=False, as_frame=False):
    """Load English-French sentence pairs from Tatoeba (manythings.org ``fra-eng``).

    Looks at ``path``, ``$SKLEARN_RNN_FRA_ENG``, then the cache
    (``fra-eng.txt.gz``, ``fra-eng.txt``, ``fra-eng.zip``). The published zip
    changes with every Tatoeba release, so no checksum can pin it and nothing
    is downloaded: get ``fra-eng.zip`` from https://www.manythings.org/anki/
    and put it in the cache. ``data`` holds the English sentences, ``target``
    the French ones.
    """
    candidates = ["fra-eng.txt.gz", "fra-eng.txt", "fra-eng.zip"]
    found = _find_or_fetch(
        "English-French", "fra_eng", path, "SKLEARN_RNN_FRA_ENG", data_home, candidates, False
    )
    return _bunch(
        _read_pairs(found),
        "english",
        "french",
        "all",
        return_X_y,
        as_frame,
        "Tatoeba English-French pairs via manythings.org (CC-BY 2.0).",
    )


#: The columns of a CoNLL-U token line (universaldependencies.org/format.html).
CONLLU_COLUMNS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


def _open_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def read_conllu(path, *, tag="upos"):
    r"""Read a CoNLL-U file (Universal Dependencies) as word sequences and their tags.

    Comment lines (``#``), multiword-token ranges (``1-2``) and empty nodes
    (``8.1``) are skipped: the words are the syntactic words, as the tags
    are given for them. Sentences end at blank lines. Plain or gzipped.

    Parameters
    ----------
    path : str or path
        The ``.conllu`` (or ``.conllu.gz``) file.
    tag : str, default='upos'
        The column to return as labels: 'upos' (universal part-of-speech
        tags), 'xpos' (language-specific tags, the Penn tags for English),
        'lemma', 'deprel' or 'feats'.

    Returns
    -------
    words : list of list of str
    tags : list of list of str

    Examples
    --------
    >>> import io, os, tempfile
    >>> text = "# sent_id = 1\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n\n"
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.conllu")
    >>> _ = open(path, "w").write(text)
    >>> read_conllu(path)
    ([['Hi']], [['INTJ']])
    """
    if tag not in CONLLU_COLUMNS or tag in ("id", "form"):
        raise ValueError(
            f"tag must name a CoNLL-U label column ('upos', 'xpos', 'lemma', 'deprel', "
            f"'feats'); got {tag!r}."
        )
    column = CONLLU_COLUMNS.index(tag)
    words, tags, sentence, labels = [], [], [], []
    for lineno, line in enumerate(_open_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            if sentence:
                words.append(sentence)
                tags.append(labels)
                sentence, labels = [], []
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise ValueError(
                f"{path}: line {lineno} has {len(fields)} tab-separated fields; a CoNLL-U "
                "token line has 10."
            )
        if "-" in fields[0] or "." in fields[0]:
            continue
        sentence.append(fields[1])
        labels.append(fields[column])
    if sentence:
        words.append(sentence)
        tags.append(labels)
    return words, tags


def read_conll(path, *, word_column=0, tag_column=-1, sep=None):
    """Read a column-format file (CoNLL-2000 chunking, CoNLL-2003 entities) as words and tags.

    One token a line, columns separated by ``sep`` (None: any whitespace),
    sentences separated by blank lines; ``-DOCSTART-`` lines are skipped.

    Parameters
    ----------
    path : str or path
        The file (plain or gzipped).
    word_column, tag_column : int, default=0, -1
        The columns of the word and of the label.
    sep : str or None, default=None
        The column separator.

    Returns
    -------
    words : list of list of str
    tags : list of list of str
    """
    words, tags, sentence, labels = [], [], [], []
    for lineno, line in enumerate(_open_text(path).split("\n"), start=1):
        fields = line.strip().split(sep)
        if not line.strip() or fields[0] == "-DOCSTART-":
            if sentence:
                words.append(sentence)
                tags.append(labels)
                sentence, labels = [], []
            continue
        try:
            sentence.append(fields[word_column])
            labels.append(fields[tag_column])
        except IndexError:
            raise ValueError(
                f"{path}: line {lineno} has {len(fields)} columns; word_column={word_column} "
                f"and tag_column={tag_column} need more."
            ) from None
    if sentence:
        words.append(sentence)
        tags.append(labels)
    return words, tags


def load_ud_english_ewt(subset="train", *, tag="upos", path=None, data_home=None):
    """Load the Universal Dependencies English Web Treebank: word sequences and their tags.

    12,544 / 2,001 / 2,077 sentences (train / dev / test) of web text
    (blogs, reviews, e-mail, answers) with universal part-of-speech tags (17)
    and Penn tags. Looks at ``path`` (a folder holding the ``.conllu`` files,
    or one file), ``$SKLEARN_RNN_UD_EWT``, then the cache, for
    ``en_ewt-ud-<subset>.conllu`` (or ``.conllu.gz``). Nothing is
    downloaded (the treebank is released by tag, with no checksum to pin):
    get it from https://github.com/UniversalDependencies/UD_English-EWT.
    Licence: CC BY-SA 4.0 (Silveira et al. 2014).

    Parameters
    ----------
    subset : {'train', 'dev', 'test'}, default='train'
    tag : str, default='upos'
        The label column (see :func:`read_conllu`).
    path : str, default=None
        A folder holding the files, or the file of the subset.
    data_home : str, default=None
        Cache directory (see :func:`get_data_home`).

    Returns
    -------
    words : list of list of str
    tags : list of list of str
    """
    if subset not in ("train", "dev", "test"):
        raise ValueError(f"subset must be 'train', 'dev' or 'test'; got {subset!r}.")
    candidates = [f"en_ewt-ud-{subset}.conllu.gz", f"en_ewt-ud-{subset}.conllu"]
    if path is not None and os.path.isdir(path):
        inside = [os.path.join(path, c) for c in candidates]
        found = next((c for c in inside if os.path.exists(c)), None)
        if found is None:
            raise FileNotFoundError(f"{path} holds none of {', '.join(candidates)}.")
    else:
        found = _find_or_fetch(
            "UD English EWT", "ud_ewt", path, "SKLEARN_RNN_UD_EWT", data_home, candidates, False
        )
    return read_conllu(found, tag=tag)


__all__ = [
    "get_data_home",
    "load_fra_eng",
    "load_ud_english_ewt",
    "load_imdb",
    "load_sentence_polarity",
    "load_sms_spam",
    "read_conll",
    "read_conllu",
]
