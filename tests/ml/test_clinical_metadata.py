"""Metadata encoding: every field may be missing, and missing is explicit."""

import math

import numpy as np
import pytest

from ml.serving import clinical_metadata as cm


def test_full_record():
    v = cm.encode({"age": 55, "sex": "female", "localization": "back"})
    assert v.shape == (cm.N_METADATA,)
    assert v[0] == pytest.approx(0.55) and v[1] == 0
    assert v.sum() == pytest.approx(0.55 + 2)  # one sex and one site, no missing flag


@pytest.mark.parametrize("record", [None, {}, {"age": None, "sex": "unknown", "localization": "unknown"},
                                    {"age": float("nan"), "sex": "", "localization": "elbow"},
                                    {"age": "n/a", "sex": "other", "localization": None}, {"age": -3}])
def test_missing_or_unusable_values_encode_as_missing(record):
    v = cm.encode(record)
    assert np.array_equal(v, cm.encode(None))
    assert v.sum() == 3  # the three "missing" indicators
    assert cm.normalise(record) == {"age": None, "sex": None, "localization": None}


def test_values_are_normalised():
    assert cm.normalise({"age": "70", "sex": " Male ", "localization": "Lower Extremity"}) == {
        "age": 70.0, "sex": "male", "localization": "lower extremity"}


def test_dropout_blanks_fields_and_keeps_the_rest():
    rng = np.random.default_rng(0)
    x = np.stack([cm.encode({"age": 40, "sex": "male", "localization": "face"})] * 2000)
    d = cm.dropout(x, rng, p_field=0.3, p_all=0.0)
    age_missing = d[:, 1] == 1
    assert 0.25 < age_missing.mean() < 0.35
    assert (d[age_missing, 0] == 0).all() and (d[~age_missing, 0] == pytest.approx(0.4))
    assert np.allclose(d.sum(1)[~age_missing], x.sum(1)[~age_missing], atol=1.0 + 1e-6)
    none = cm.dropout(x, rng, p_field=0.0, p_all=1.0)
    assert np.array_equal(none, np.stack([cm.encode(None)] * 2000))


def test_blank_makes_fields_unknown():
    out = cm.blank([{"age": 40, "sex": "male", "localization": "face"}], ["sex"])
    assert out == [{"age": 40.0, "sex": None, "localization": "face"}]
    assert not math.isnan(cm.encode(out[0])[0])
