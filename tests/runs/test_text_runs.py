"""Free text through train, predict, export and reproduce: a CSV of text and numbers read as token ids (an
Embedding and an LSTM beside the numbers: one Functional model) and a folder of few .txt files (read as a
bag of n-grams into the dense layers, as `text="auto"` picks for them)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, load_run, reproduce
from kerasrecipes.data import _text
from kerasrecipes.errors import UserError

POSITIVE = "good great excellent fine lovely".split()
NEGATIVE = "bad awful terrible poor dull".split()
FILLER = "the film was a and it plot actors story very".split()


def _reviews(n: int, seed: int = 0) -> pd.DataFrame:
    """Sentences whose label follows two of their words, and a number that does not matter."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        words = [*rng.choice(FILLER, 6), *rng.choice(POSITIVE if label else NEGATIVE, 2)]
        rng.shuffle(words)
        rows.append({"review": " ".join(words), "age": int(rng.integers(18, 80)), "label": ["neg", "pos"][label]})
    return pd.DataFrame(rows)


QUICK = ["--set", "epochs=4", "--set", "units=16", "--set", "learning_rate=0.01", "--tracking", "none", "--quiet"]


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    _reviews(200).to_csv(folder / "reviews.csv", index=False)
    args = ["train", "--csv", str(folder / "reviews.csv"), "--target", "label", "--out", str(folder / "run")]
    assert cli.main([*args, *QUICK, "--set", "text=sequence", "--set", "text_embedding_dim=8"]) == 0
    return folder


def test_a_csv_with_a_text_column_trains_one_functional_model_with_a_branch_per_kind(csv_run):
    manifest = json.loads((csv_run / "run" / "manifest.json").read_text())
    assert manifest["scenario"] == "rnn-small-dataset"  # token ids: the RNN row
    spec = manifest["data"]["preprocessing"]
    assert [c["kind"] for c in spec["columns"]] == ["numeric", "text"]
    assert spec["text"][0]["mode"] == "sequence" and "good" in spec["text"][0]["vocabulary"]
    assert manifest["test_metrics"]["accuracy"] > 0.8  # the words decide the label
    run = load_run(csv_run / "run")
    names = {layer.name for layer in run.model.get_layer("text").layers}
    assert {"table_features", "text_1_ids", "text_1_embedding", "text_1_lstm_1", "branches"} <= names
    said = run.predict(pd.DataFrame({"review": ["a good great film", "an awful dull plot"], "age": [30, 40]}))
    assert said.tolist() == ["pos", "neg"]
    unseen = run.predict_proba({"review": ["zzz qqq", ""], "age": [30, 40]})  # unknown words, an empty text
    assert unseen.shape == (2, 2) and np.isfinite(unseen).all()


def test_a_text_run_predicts_a_csv_reproduces_and_exports_a_saved_model(csv_run, tmp_path, capsys):
    import tensorflow as tf

    new = _reviews(6, seed=1).drop(columns="label")
    new.to_csv(tmp_path / "new.csv", index=False)
    assert cli.main(["predict", str(csv_run / "run"), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert predictions.columns.tolist() == ["label", "probability_neg", "probability_pos"] and len(predictions) == 6
    assert reproduce(csv_run / "run").identical
    out = tmp_path / "served"
    assert cli.main(["export", str(csv_run / "run"), "--format", "saved_model", "--out", str(out)]) == 0
    serve = tf.saved_model.load(str(out)).signatures["serving_default"]
    served = next(
        iter(serve(review=tf.constant(new["review"].to_numpy()), age=tf.constant(new["age"], tf.float32)).values())
    )
    np.testing.assert_allclose(served.numpy(), predictions[["probability_neg", "probability_pos"]], atol=1e-5)
    for format, suffix in (("litert", ".tflite"), ("onnx", ".onnx")):
        assert (
            cli.main(["export", str(csv_run / "run"), "--format", format, "--out", str(tmp_path / f"m{suffix}")]) == 2
        )
        assert "reads free text" in capsys.readouterr().err and not (tmp_path / f"m{suffix}").exists()


def test_a_text_folder_of_few_texts_trains_n_grams_by_default_and_predicts_a_folder_of_files(tmp_path):
    frame = _reviews(120)
    for i, row in frame.iterrows():
        (tmp_path / "texts" / row["label"]).mkdir(parents=True, exist_ok=True)
        (tmp_path / "texts" / row["label"] / f"{i:03d}.txt").write_text(row["review"], encoding="utf-8")
    out = tmp_path / "run"
    assert cli.main(["train", "--texts", str(tmp_path / "texts"), "--out", str(out), *QUICK]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["recipe"]["text"] == "auto"
    assert manifest["scenario"] == "binary-small-dataset"  # n-grams: plain features for the dense row
    entry = manifest["data"]["preprocessing"]["text"][0]
    assert entry["mode"] == "ngrams" and entry["picked_by"]["samples_per_word"] < _text.SEQUENCE_RATIO
    new = tmp_path / "new"
    new.mkdir()
    (new / "a.txt").write_text("a good great film", encoding="utf-8")
    (new / "b.txt").write_text("an awful dull plot", encoding="utf-8")
    assert cli.main(["predict", str(out), str(new), "--out", str(tmp_path / "p.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert predictions["file"].tolist() == ["a.txt", "b.txt"]
    assert predictions["label"].tolist() == ["pos", "neg"]
    assert reproduce(out).identical


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "{csv}", "--target", "label", "--text", "review", "--stream"], "--text reads free text in memory"),
        (["--texts", "{folder}", "--csv", "{csv}"], "--texts DIR is the data .*leave out --csv"),
        (["--csv", "{csv}", "--target", "label", "--text", "nope"], "Unknown column to read as free text 'nope'"),
        (["--dataset", "iris", "--text", "x"], "--text goes with --csv"),
    ],
)
def test_text_options_that_do_not_fit_are_one_line(tmp_path, capsys, args, message):
    _reviews(40).to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "t" / "a").mkdir(parents=True)
    filled = [a.format(csv=tmp_path / "r.csv", folder=tmp_path / "t") for a in args]
    assert cli.main(["train", *filled, "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
    assert not (tmp_path / "run").exists()


def test_augment_noise_is_refused_on_token_ids():
    import keras

    from kerasrecipes.recipes import Recipe, build_model

    blocks = [{"start": 0, "length": 5, "vocabulary_size": 20}]
    with pytest.raises(UserError, match="augment_noise augments images and sequences .*text read as token ids"):
        build_model(Recipe(augment_noise=0.1), (5,), n_classes=2, text_blocks=blocks)
    model = build_model(Recipe(units=4, text_embedding_dim=3), (5,), n_classes=2, text_blocks=blocks)
    assert model.scenario.name == "rnn-small-dataset"
    assert isinstance(model, keras.Sequential)  # token ids alone: api="sequential" is honoured
    assert [layer.name for layer in model.layers][:2] == ["text_1_embedding", "text_1_lstm_1"]
