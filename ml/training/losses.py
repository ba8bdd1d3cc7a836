"""Focal loss for sparse integer labels (Lin et al. 2017), with per-class alpha."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ml")
class SparseFocalLoss(keras.losses.Loss):
    """FL = -alpha[y] * (1 - p_y)^gamma * log(p_y) on softmax probabilities.

    gamma=0 with no alpha is exactly sparse categorical cross-entropy; gamma>0 down-weights the
    easy (mostly nevus) examples, alpha re-weights classes.
    """

    def __init__(self, gamma: float = 2.0, alpha: Sequence[float] | None = None, name: str = "sparse_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else [float(a) for a in alpha]

    def call(self, y_true, y_pred):
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        n_classes = ops.shape(y_pred)[-1]
        probs = ops.clip(y_pred, keras.backend.epsilon(), 1.0 - keras.backend.epsilon())
        onehot = ops.one_hot(y_true, n_classes, dtype=probs.dtype)
        p_t = ops.sum(onehot * probs, axis=-1)
        loss = -ops.power(1.0 - p_t, self.gamma) * ops.log(p_t)
        if self.alpha is not None:
            alpha = ops.convert_to_tensor(self.alpha, dtype=probs.dtype)
            loss = loss * ops.sum(onehot * alpha, axis=-1)
        return loss

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}
