"""diagnosis.inference.model_card reads every card shape the platform has registered (v1 flat metrics, v3 per metadata variant,
v4 per source and pooled) and never fails on a minimal or odd one."""

import json
from pathlib import Path

import pytest

from diagnosis.inference.model_card import card_figures

DEFAULT_CARD = Path(__file__).resolve().parents[3] / "ml" / "default_model" / "model.json"


def test_the_default_card():
    card = json.loads(DEFAULT_CARD.read_text())
    figures = card_figures(card)
    pooled = card["validation_metrics"]["full"]["pooled"]
    assert figures.variant == "with metadata, every source pooled" and figures.images == pooled["n"]
    recall = {row.name: row.recall for row in figures.classes}
    assert recall == pytest.approx(pooled["per_class_recall"])
    assert [row.auc for row in figures.classes if row.name == "mel"] == [pooled["mel_auc"]]
    mel = figures.thresholds[0]
    assert (mel.key, mel.threshold, mel.sensitivity, mel.specificity) == (
        "mel", card["operating_points"]["mel"]["threshold"], card["operating_points"]["mel"]["validation"]["sensitivity"],
        card["operating_points"]["mel"]["validation"]["specificity"])
    assert figures.temperature == card["calibration"]["temperature"]
    assert figures.ece_after == card["calibration"]["validation_ece_after"]["full"]
    assert {source.name for source in figures.data} == {"ham10000", "bcn_msk_84px", "msk_256px"}
    assert figures.train_class_counts == {}  # the trunk's counts would understate a multi-source model
    assert {source.name for source in figures.sources} == {"ham10000", "bcn_msk_84px", "msk_256px"}


def test_a_v1_card():
    figures = card_figures({"validation_metrics": {"n": 10, "accuracy": 0.8, "per_class": {
        "mel": {"recall": 0.5, "auc": 0.9, "support": 4}}}, "classes": ["mel", "nv"],
        "training": {"n_images": {"train": 50}, "train_class_counts": {"mel": 10, "nv": 40}}})
    assert figures.variant == "validation split"
    assert [(r.name, r.recall, r.auc, r.support) for r in figures.classes] == [("mel", 0.5, 0.9, 4)]
    assert figures.data[0].train == 50 and figures.train_class_counts == {"mel": 10, "nv": 40}


@pytest.mark.parametrize("card", [None, {}, [], "x", {"validation_metrics": {"full": None}},
                                  {"operating_points": {"mel": "x"}, "calibration": {"validation_ece_after": {}}},
                                  {"validation_metrics": {"full": {"pooled": {"per_class_recall": {"mel": "high"}}}}}])
def test_odd_cards_give_empty_figures(card):
    figures = card_figures(card)
    assert figures.empty
