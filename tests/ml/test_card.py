"""The model card: the committed card reads and validates, a written card reads back the same, a card a predictor
could not use is refused with what is missing."""

import json

import pytest

import ml
from ml import card


def test_the_default_models_card_reads_and_validates():
    c = card.read(ml.DEFAULT_MODEL_DIR)
    assert c["classes"] == list(ml.CLASSES)
    assert card.model_path(ml.DEFAULT_MODEL_DIR, c).is_file()


def test_write_then_read_round_trip(tmp_path):
    c = json.loads((ml.DEFAULT_MODEL_DIR / card.CARD_FILE).read_text())
    card.write(tmp_path, c)
    assert card.read(tmp_path) == c


def test_write_makes_absolute_paths_portable(tmp_path):
    c = {"name": "m", "classes": ["a"], "preprocessing": {}, "training": {"data_dir": "/nowhere/on/this/machine/data"}}
    card.write(tmp_path, c)
    assert card.read(tmp_path)["training"]["data_dir"] == "data"


@pytest.mark.parametrize("broken, message", [
    ({"classes": ["a"], "preprocessing": {}}, "name"),
    ({"name": "m", "classes": [], "preprocessing": {}}, "no classes"),
    ({"name": "m", "classes": ["a"], "preprocessing": {}, "inference": {"outputs": "logits_and_feature_map"}},
     "feature_channels"),
    ({"name": "m", "classes": ["a"], "preprocessing": {}, "operating_points": {"mel": {"threshold": 0.1}}}, "mel"),
])
def test_validate_refuses_a_card_a_predictor_cannot_use(broken, message):
    with pytest.raises(ValueError, match=message):
        card.validate(broken)


def test_derive_drops_the_parents_own_figures_and_names_the_new_file(tmp_path):
    (tmp_path / card.MODEL_FILE).write_bytes(b"weights")
    parent = {"name": "trunk", "sha256": "old", "classes": ["a"], "validation_metrics": {}, "evaluation": {}, "fusion": {}}
    child = card.derive(parent, {"name": "clinical", "guard": {}}, directory=tmp_path, drop=("fusion",))
    assert child == {"name": "clinical", "classes": ["a"], "model_file": card.MODEL_FILE,
                     "sha256": card.file_sha256(tmp_path / card.MODEL_FILE), "guard": {}}
