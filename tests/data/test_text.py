"""Free text: detected or named columns, the vocabulary learned on the training rows only, token ids and
n-grams as features, and folders of .txt files as a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import data
from kerasrecipes.data import _column_types, _feature_layers, _feature_spec, _text
from kerasrecipes.errors import UserError

WORDS = "the film was a and it plot actors story very really quite good bad".split()


def _sentences(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, 8)) for _ in range(n)]


def test_sentences_are_free_text_and_names_ids_and_categories_are_not():
    assert _column_types.infer_type("review", pd.Series(_sentences(40))).kind == "text"
    names = [f"Smith, Mr. John {i}" for i in range(40)]  # four words: an identifier, as before
    assert _column_types.infer_type("name", pd.Series(names)).kind == "dropped"
    colours = pd.Series(["dark red car here now", "light blue car here now"] * 20)  # long, but two values
    assert _column_types.infer_type("colour", colours).kind == "categorical"
    assert _column_types.infer_type("review", pd.Series(_sentences(40)), free_text=False).kind == "dropped"
    assert _column_types.infer_type("code", pd.Series(["a", "b"] * 20), asked_text=True).kind == "text"


def test_fit_text_learns_the_training_vocabulary_and_length():
    texts = np.array(["Good film!", "bad film", "", "a very good, very long film indeed"], dtype=object)
    entry = _text.fit_text("t", texts, mode="sequence", max_tokens=100, length=0, ngrams=1)
    assert entry["vocabulary"][:2] == ["film", "very"]  # by count, ties by token; lower-cased, no punctuation
    assert entry["length"] == 7  # the 95th percentile of the word counts (2, 2, 7), rounded up
    short = _text.fit_text("t", texts, mode="sequence", max_tokens=4, length=3, ngrams=1)
    assert len(short["vocabulary"]) == 2 and short["length"] == 3  # max_tokens counts padding and unknown
    grams = _text.fit_text("t", texts, mode="ngrams", max_tokens=1000, length=0, ngrams=2)
    assert "good film" in grams["vocabulary"] and "film" in grams["vocabulary"]
    with pytest.raises(UserError, match=r"'t' is empty in every training row.*--drop t"):
        _text.fit_text("t", np.array(["", ""], dtype=object), mode="sequence", max_tokens=10, length=0, ngrams=1)


def test_auto_reads_short_text_of_few_rows_as_n_grams_and_many_rows_as_token_ids():
    few = _text.fit_text("t", np.array(_sentences(40), dtype=object), mode="auto", max_tokens=100, length=0, ngrams=2)
    assert few["mode"] == "ngrams"  # 40 rows / 8 words = 5, below the ratio
    assert few["picked_by"] == {"samples_per_word": 5.0, "sequence_from": _text.SEQUENCE_RATIO}
    words = np.array(["good", "bad", "fine film", ""] * 400, dtype=object)  # 1,600 rows, a median of 1 word
    many = _text.fit_text("t", words, mode="auto", max_tokens=100, length=0, ngrams=2)
    assert many["mode"] == "sequence" and many["length"] == 2 and many["picked_by"]["samples_per_word"] == 1600.0
    named = _text.fit_text("t", words, mode="ngrams", max_tokens=100, length=0, ngrams=2)
    assert named["mode"] == "ngrams" and "picked_by" not in named  # a mode the user names is kept as it is


@pytest.mark.parametrize("mode", ["sequence", "ngrams"])
def test_the_features_layer_reads_raw_text_as_training_saw_it(mode):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "t": ["good film", "bad film", None]})
    spec = _feature_spec.fit_tabular(
        frame,
        ["x"],
        [],
        scaling="none",
        imputation="median",
        text=["t"],
        text_options={"mode": mode, "max_tokens": 100, "length": 4, "ngrams": 2},
    )
    assert [c["kind"] for c in spec["columns"]] == ["numeric", "text"]
    layer = _feature_layers.features_layer(spec)
    features = _feature_layers.apply(layer, _feature_layers.to_inputs(spec, frame))
    assert features.shape == (3, len(_feature_spec.feature_names(spec)))
    vocabulary = spec["text"][0]["vocabulary"]
    if mode == "sequence":
        ids = features[:, 1:]
        assert ids[0].tolist() == [vocabulary.index("good") + 2, vocabulary.index("film") + 2, 0, 0]
        assert ids[2].tolist() == [0, 0, 0, 0]  # a missing text is all padding
        assert _text.layout(spec) == [{"start": 1, "length": 4, "vocabulary_size": len(vocabulary) + 2}]
    else:
        grams = features[:, 2:]  # after x and the unknown n-grams' column
        assert grams[0, vocabulary.index("good film")] == 1 and grams[1, vocabulary.index("good film")] == 0
        assert _text.layout(spec) == []  # n-grams are plain features for the dense layers


def test_a_csv_with_text_keeps_it_and_names_it_in_its_source(tmp_path):
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review": _sentences(30), "n": range(30), "y": [0, 1] * 15}).to_csv(path, index=False)
    table = data.load_csv(path, "y")
    assert [(t.name, t.kind) for t in table.column_types] == [("review", "text"), ("n", "numeric")]
    assert table.numeric_columns == ("n",) and table.categorical_columns == ()
    assert table.source["free_text"] is True
    forced = data.load_csv(path, "y", text=["n"])
    assert forced.numeric_columns == () and forced.source["text"] == ["n"]
    with pytest.raises(UserError, match="Unknown column to read as free text 'revue'"):
        data.load_csv(path, "y", text=["revue"])


def _folder(root, classes=("neg", "pos"), n=3):
    for label in classes:
        (root / label).mkdir(parents=True)
        for i in range(n):
            (root / label / f"{i}.txt").write_text(f"{label} text number {i}\nsecond line", encoding="utf-8")
    return root


def test_a_text_folder_is_a_table_of_one_text_column(tmp_path):
    table = data.load_text_folder(_folder(tmp_path / "texts"))
    assert table.X.columns.tolist() == ["text"] and table.y.tolist() == ["neg"] * 3 + ["pos"] * 3
    assert table.X["text"][0] == "neg text number 0\nsecond line"
    assert table.source["kind"] == "texts" and table.source["classes"] == ["neg", "pos"]
    again = data.load_text_folder(tmp_path / "texts")
    assert again.source["sha256"] == table.source["sha256"]


def test_text_folder_errors(tmp_path):
    with pytest.raises(UserError, match="--texts.*does not exist"):
        data.load_text_folder(tmp_path / "missing")
    _folder(tmp_path / "one", classes=("only",))
    with pytest.raises(UserError, match="has 1 class folder"):
        data.load_text_folder(tmp_path / "one")
    root = _folder(tmp_path / "empty")
    (root / "none").mkdir()
    with pytest.raises(UserError, match=r"none holds no \.txt file"):
        data.load_text_folder(root)
    root = _folder(tmp_path / "binary")
    (root / "pos" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(UserError, match="is not a text file .*an image"):
        data.load_text_folder(root)
