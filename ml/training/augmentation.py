"""Training-time augmentation as a list of Keras preprocessing layers (as in the keras-io examples).

Applied in the tf.data pipeline on batches of raw 0..255 RGB, after the cache, so each epoch sees
new variants while decoding happens once. Dermoscopy has no up or left, so every flip and any
rotation is label-preserving; colour jitter imitates different dermatoscopes and lighting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class AugmentationOptions:
    flip: bool = True
    rotation: float = 0.5  # fraction of a full turn either way (0.5 = any angle)
    zoom: float = 0.15  # +/- fraction
    brightness: float = 0.1  # +/- fraction of the 0..255 range
    contrast: float = 0.15
    saturation: float = 0.0  # 0 = off; else +/- factor range around 1 (Keras RandomSaturation)
    hue: float = 0.0  # 0 = off; else fraction of the hue circle

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def enabled(self) -> bool:
        return any([self.flip, self.rotation, self.zoom, self.brightness, self.contrast, self.saturation, self.hue])


def build_augmentation(options: AugmentationOptions, seed: int | None = None):
    import keras

    layers = []
    if options.flip:
        layers.append(keras.layers.RandomFlip("horizontal_and_vertical", seed=seed))
    if options.rotation:
        # 'reflect' fills the corners with skin rather than black wedges the model could learn.
        layers.append(keras.layers.RandomRotation(options.rotation, fill_mode="reflect", seed=seed))
    if options.zoom:
        layers.append(keras.layers.RandomZoom(options.zoom, fill_mode="reflect", seed=seed))
    if options.brightness:
        layers.append(keras.layers.RandomBrightness(options.brightness, value_range=(0, 255), seed=seed))
    if options.contrast:
        layers.append(keras.layers.RandomContrast(options.contrast, value_range=(0, 255), seed=seed))
    if options.saturation:
        s = options.saturation
        layers.append(keras.layers.RandomSaturation((max(0.0, 0.5 - s / 2), min(1.0, 0.5 + s / 2)), value_range=(0, 255), seed=seed))
    if options.hue:
        layers.append(keras.layers.RandomHue(options.hue, value_range=(0, 255), seed=seed))
    return keras.Sequential(layers, name="augmentation")
