import numpy as np
import pytest
from PIL import Image

from ml.serving.preprocessing import PreprocessingSpec, preprocess_image

SPEC = PreprocessingSpec(150, 200)


@pytest.mark.parametrize("size,mode", [((200, 150), "RGB"), ((600, 450), "RGB"), ((1024, 1024), "RGBA"),
                                       ((300, 900), "L"), ((4000, 1000), "P"), ((37, 41), "RGB")])
def test_any_size_aspect_and_mode_gives_the_canonical_shape(size, mode):
    out = preprocess_image(Image.new(mode, size), SPEC)
    assert out.shape == (150, 200, 3) and out.dtype == np.uint8


def test_native_size_image_is_unchanged():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)
    assert np.array_equal(preprocess_image(Image.fromarray(pixels), SPEC), pixels)


def test_portrait_is_rotated_not_cropped_away():
    # a portrait image with a red top half: after rotation the red half is on one side, not lost
    pixels = np.zeros((400, 300, 3), dtype=np.uint8)
    pixels[:200, :, 0] = 255
    out = preprocess_image(Image.fromarray(pixels), SPEC)
    red = out[..., 0] > 128
    assert 0.4 < red.mean() < 0.6
    assert red[:, :90].all() or red[:, 110:].all()


def test_wide_image_is_centre_cropped():
    pixels = np.zeros((150, 400, 3), dtype=np.uint8)
    pixels[:, 100:300] = 255  # the centre 200 columns are white
    out = preprocess_image(Image.fromarray(pixels), SPEC)
    assert out.min() > 240


def test_spec_round_trips_through_dict():
    d = SPEC.to_dict()
    assert PreprocessingSpec.from_dict(d) == SPEC
    with pytest.raises(ValueError):
        PreprocessingSpec.from_dict({**d, "method": "squash"})
