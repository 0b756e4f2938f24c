import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile

import pandas as pd
import pytest

from sklearn_rnn import datasets
from sklearn_rnn.datasets import (
    RemoteFile,
    load_fra_eng,
    load_imdb,
    load_sentence_polarity,
    load_sms_spam,
)

REVIEWS = {
    "aclImdb/train/pos/1_9.txt": "A wonderful film.<br />Loved it.",
    "aclImdb/train/neg/2_2.txt": "Dull and slow.",
    "aclImdb/test/pos/3_8.txt": "Great acting.",
    "aclImdb/test/neg/4_1.txt": "Awful, just awful.",
    "aclImdb/README": "not a review",
}


def _tarball(path):
    with tarfile.open(path, "w:gz") as archive:
        for name, text in REVIEWS.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(autouse=True)
def _no_env(monkeypatch, tmp_path):
    for var in ("SKLEARN_RNN_IMDB", "SKLEARN_RNN_SMS_SPAM", "SKLEARN_RNN_FRA_ENG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SKLEARN_RNN_DATA", str(tmp_path / "cache"))


def test_load_imdb_from_the_canonical_tarball_and_its_folder(tmp_path):
    path = _tarball(tmp_path / "aclImdb_v1.tar.gz")
    bunch = load_imdb(path=str(path), download_if_missing=False)
    assert sorted(bunch.data.tolist()) == sorted(
        t for n, t in REVIEWS.items() if n.endswith(".txt")
    )
    assert list(bunch.split) == ["train", "train", "test", "test"]
    X, y = load_imdb(path=str(path), subset="test", return_X_y=True)
    assert dict(zip(X, y)) == {"Great acting.": 1, "Awful, just awful.": 0}
    folder = tmp_path / "extracted"
    with tarfile.open(path) as archive:
        archive.extractall(folder, filter="data")
    frame = load_imdb(path=str(folder / "aclImdb"), as_frame=True).frame
    assert frame.shape == (4, 5) and set(frame["rating"]) == {9, 2, 8, 1}


def test_load_imdb_from_csv_env_var_and_cache(tmp_path, monkeypatch):
    frame = pd.DataFrame({"split": ["train", "test"], "label": [1, 0], "text": ["good", "bad"]})
    csv = tmp_path / "imdb_50k.csv.gz"
    frame.to_csv(csv, index=False)
    monkeypatch.setenv("SKLEARN_RNN_IMDB", str(csv))
    assert load_imdb(subset="train", return_X_y=True)[0].tolist() == ["good"]
    monkeypatch.delenv("SKLEARN_RNN_IMDB")
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    _tarball(cache / "aclImdb_v1.tar.gz")
    assert len(load_imdb(download_if_missing=False).data) == 4


class _Server:
    """Serves bytes on 127.0.0.1 and counts the requests."""

    def __init__(self, payload):
        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/aclImdb_v1.tar.gz"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_verifies_the_checksum_and_caches(tmp_path, monkeypatch):
    payload = _tarball(tmp_path / "served.tar.gz").read_bytes()
    server = _Server(payload)
    try:
        remote = RemoteFile(
            server.url, "aclImdb_v1.tar.gz", "md5", hashlib.md5(payload).hexdigest()
        )
        monkeypatch.setitem(datasets.REMOTE, "imdb", remote)
        assert len(load_imdb().data) == 4
        assert len(load_imdb().data) == 4  # from the cache
        assert server.requests == 1
        assert (tmp_path / "cache" / "aclImdb_v1.tar.gz").read_bytes() == payload
    finally:
        server.close()


def test_download_with_a_checksum_mismatch_keeps_nothing(tmp_path, monkeypatch):
    payload = _tarball(tmp_path / "served.tar.gz").read_bytes()
    server = _Server(payload)
    try:
        monkeypatch.setitem(
            datasets.REMOTE, "imdb", RemoteFile(server.url, "aclImdb_v1.tar.gz", "md5", "0" * 32)
        )
        with pytest.raises(ValueError, match="Checksum mismatch"):
            load_imdb()
        assert list((tmp_path / "cache").iterdir()) == []
    finally:
        server.close()


def test_offline_with_no_copy_says_where_to_put_the_file(tmp_path, monkeypatch):
    server = _Server(b"")
    url = server.url
    server.close()  # nothing listens there any more
    monkeypatch.setitem(
        datasets.REMOTE, "imdb", RemoteFile(url, "aclImdb_v1.tar.gz", "md5", "0" * 32)
    )
    with pytest.raises(FileNotFoundError, match="Put one of imdb_50k.csv.gz, aclImdb_v1.tar.gz"):
        load_imdb()
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        load_imdb(download_if_missing=False)


def test_missing_env_path_warns_and_explicit_missing_path_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("SKLEARN_RNN_IMDB", str(tmp_path / "nope.csv"))
    with pytest.warns(UserWarning, match="does not exist"):
        with pytest.raises(FileNotFoundError):
            load_imdb(download_if_missing=False)
    with pytest.raises(FileNotFoundError, match="No IMDB data at path"):
        load_imdb(path=str(tmp_path / "nope.csv"))


def test_load_sms_spam_file_and_zip(tmp_path):
    text = "ham\tSee you at 5\nspam\tWIN a prize, call now\n"
    plain = tmp_path / "SMSSpamCollection"
    plain.write_text(text)
    X, y = load_sms_spam(path=str(plain), return_X_y=True)
    assert X.tolist() == ["See you at 5", "WIN a prize, call now"] and y.tolist() == ["ham", "spam"]
    archive = tmp_path / "smsspamcollection.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("SMSSpamCollection", text)
    assert len(load_sms_spam(path=str(archive)).data) == 2
    plain.write_text("junk line\n")
    with pytest.raises(ValueError, match="line 1 is not 'ham|spam"):
        load_sms_spam(path=str(plain))


def test_load_fra_eng_gzip_and_no_download(tmp_path):
    path = tmp_path / "fra-eng.txt.gz"
    path.write_bytes(gzip.compress(b"Go.\tVa !\tCC-BY\nHi.\tSalut !\n"))
    X, y = load_fra_eng(path=str(path), return_X_y=True)
    assert X.tolist() == ["Go.", "Hi."] and y.tolist() == ["Va !", "Salut !"]
    with pytest.raises(FileNotFoundError, match="no download with a pinned checksum"):
        load_fra_eng()


def test_a_csv_without_the_columns_is_a_clear_error(tmp_path):
    csv = tmp_path / "x.csv"
    pd.DataFrame({"a": [1]}).to_csv(csv, index=False)
    with pytest.raises(ValueError, match="needs the columns split, label, text"):
        load_imdb(path=str(csv))


def test_load_sentence_polarity_reads_latin1_lines_and_keeps_empty_texts(tmp_path, monkeypatch):
    folder = tmp_path / "sp"
    folder.mkdir()
    # 0x85 is a latin-1 character that str.splitlines would take for a line break.
    (folder / "custrev.all").write_bytes(b"1 great \x85 phone .\n0 \n0 it broke .\n")
    monkeypatch.setenv("SKLEARN_RNN_SENTENCE_POLARITY", str(folder))
    X, y = load_sentence_polarity("cr", return_X_y=True)
    assert list(X) == ["great \x85 phone .", "", "it broke ."] and list(y) == [1, 0, 0]
    bunch = load_sentence_polarity("cr", path=str(folder / "custrev.all"))
    assert "Hu & Liu" in bunch.DESCR
    (folder / "subj.all").write_bytes(b"1 fine\nx not a label\n")
    with pytest.raises(ValueError, match="line 2 is not '0\\|1 text'"):
        load_sentence_polarity("subj")
    with pytest.raises(ValueError, match="name must be one of"):
        load_sentence_polarity("sst")
    with pytest.raises(FileNotFoundError, match="mpqa.all"):
        load_sentence_polarity("mpqa", data_home=str(tmp_path / "empty"))


CONLLU = """# sent_id = 1
# text = Don't go.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:conj\t_
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_read_conllu_keeps_syntactic_words_and_the_chosen_column(tmp_path):
    from sklearn_rnn.datasets import read_conllu

    path = tmp_path / "x.conllu.gz"
    path.write_bytes(gzip.compress(CONLLU.encode()))
    words, tags = read_conllu(path)
    # The multiword token "Don't" and the empty node 3.1 are not words of their own.
    assert words == [["Do", "n't", "go", "."], ["Hi"]]
    assert tags == [["AUX", "PART", "VERB", "PUNCT"], ["INTJ"]]
    assert read_conllu(path, tag="xpos")[1][0] == ["VBP", "RB", "VB", "."]
    with pytest.raises(ValueError, match="tag must name a CoNLL-U label column"):
        read_conllu(path, tag="form")
    (tmp_path / "bad.conllu").write_text("1\tDo\tdo\n")
    with pytest.raises(ValueError, match="line 1 has 3 tab-separated fields"):
        read_conllu(tmp_path / "bad.conllu")


def test_read_conll_columns_and_docstart(tmp_path):
    from sklearn_rnn.datasets import read_conll

    (tmp_path / "ner.txt").write_text(
        "-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n"
    )
    words, tags = read_conll(tmp_path / "ner.txt")
    assert words == [["EU", "rejects"], ["Peter"]] and tags == [["B-ORG", "O"], ["B-PER"]]
    assert read_conll(tmp_path / "ner.txt", tag_column=2)[1][0] == ["B-NP", "B-VP"]
    with pytest.raises(ValueError, match="line 3 has 4 columns; word_column=0 and tag_column=7"):
        read_conll(tmp_path / "ner.txt", tag_column=7)


def test_load_ud_english_ewt_from_a_folder_or_the_env(tmp_path, monkeypatch):
    from sklearn_rnn.datasets import load_ud_english_ewt

    (tmp_path / "en_ewt-ud-dev.conllu").write_text(CONLLU)
    words, _ = load_ud_english_ewt("dev", path=str(tmp_path))
    assert len(words) == 2
    monkeypatch.setenv("SKLEARN_RNN_UD_EWT", str(tmp_path))
    assert load_ud_english_ewt("dev", tag="lemma")[1][1] == ["hi"]
    with pytest.raises(FileNotFoundError, match="holds none of en_ewt-ud-test.conllu.gz"):
        load_ud_english_ewt("test", path=str(tmp_path))
    with pytest.raises(ValueError, match="subset must be 'train', 'dev' or 'test'"):
        load_ud_english_ewt("valid")
