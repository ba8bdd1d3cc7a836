import subprocess
import sys

import pytest
from mlhelpers import REPO

import ml


def test_import_ml_does_not_load_tensorflow():
    code = "import sys, ml; ml.DEFAULT_MODEL_DIR; ml.malignancy_risk; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_constants():
    assert ml.CLASSES == ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
    assert ml.MALIGNANT_CLASSES == ("akiec", "bcc", "mel")
    assert ml.DEFAULT_MODEL_DIR == REPO / "ml" / "default_model"


def test_malignancy_risk_from_mapping_and_sequence():
    probs = {"akiec": 0.1, "bcc": 0.05, "bkl": 0.2, "df": 0.0, "mel": 0.3, "nv": 0.3, "vasc": 0.05}
    assert ml.malignancy_risk(probs) == pytest.approx(0.45)
    assert ml.malignancy_risk(list(probs.values()), list(probs)) == pytest.approx(0.45)
    assert ml.malignancy_risk([0.5, 0.5], ["nv", "mel"]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ml.malignancy_risk([0.5, 0.5], ["nv", "mel", "bcc"])
    with pytest.raises(ValueError):
        ml.malignancy_risk([0.5, 0.5])


def test_the_worker_and_the_cli_import_no_tensorflow_or_keras():
    code = ("import sys, ml.serving.predictor, ml.__main__; "
            "print(any(m in sys.modules for m in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_command_line_for_every_step():
    out = subprocess.run([sys.executable, "-m", "ml", "--help"], cwd=REPO, capture_output=True, text=True, check=True)
    for command in ("train", "split", "finetune", "fuse", "fuse-sources", "evaluate", "evaluate-sources", "guard",
                    "explain"):
        assert command in out.stdout


def test_classify_returns_a_frozen_classification():
    import dataclasses

    from ml.serving.classification import Classification

    assert dataclasses.is_dataclass(Classification) and Classification.__dataclass_params__.frozen
