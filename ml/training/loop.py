"""The training loop every trainer shares (``train``, ``finetune``, ``fuse`` and ``fuse-sources``): after each epoch
score the model on validation data, keep the best epoch's weights, and stop when patience or the time budget runs
out.

``train`` lets Keras' ``fit`` run the epochs (one call per phase keeps the data pipeline's order) and calls
``BestEpoch`` from a callback; the others run one epoch at a time through ``run_epochs``.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def score(metrics: dict, monitor: str = "score") -> float:
    """The validation figure the best epoch is chosen by. "score" balances overall accuracy (what most images see)
    against the rare classes."""
    if monitor == "score":
        return 0.5 * (metrics["accuracy"] + metrics["balanced_accuracy"])
    return metrics[monitor]


def class_weights(counts: np.ndarray, mode: str) -> np.ndarray | None:
    """Inverse-frequency weights normalised to mean 1 over the samples (so the loss scale is kept)."""
    if mode == "none":
        return None
    inv = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    if mode == "sqrt":
        inv = np.sqrt(inv)
    elif mode != "balanced":
        raise ValueError(f"unknown class_weight {mode!r}")
    return inv * counts.sum() / (inv * counts).sum()


def epochs_that_fit(budget_s: float, elapsed_s: float, epoch_s: float, *, done: int, ceiling: int,
                    reserve_s: float = 0.0) -> int:
    """Epochs in all: the ``done`` ones plus as many more of ``epoch_s`` as fit in what is left of
    ``budget_s`` after ``elapsed_s`` and ``reserve_s``; between ``done`` and ``ceiling``."""
    more = int(max(0.0, budget_s - elapsed_s - reserve_s) // epoch_s)
    return max(done, min(ceiling, done + more))


class BestEpoch:
    """The best epoch so far (strictly higher score wins, so the earliest of equal epochs is kept), its weights and
    metrics; whether patience or the time budget is spent."""

    def __init__(self, *, patience: int | None = None, max_minutes: float | None = None,
                 started: float | None = None, on_improve: Callable[[], None] | None = None):
        self.patience, self.max_minutes, self.on_improve = patience, max_minutes, on_improve
        self.started = time.time() if started is None else started
        self.score, self.epoch, self.weights, self.metrics = -np.inf, None, None, None
        self.wait, self.out_of_time = 0, False

    def record(self, epoch: int, score: float, weights: Callable[[], list], metrics: dict | None = None) -> bool:
        """Epoch ``epoch`` (1-based) scored ``score``; ``weights`` is called only when it is the best so far."""
        improved = score > self.score
        if improved:
            self.score, self.epoch, self.metrics, self.wait = score, epoch, metrics, 0
            self.weights = weights()
            if self.on_improve:
                self.on_improve()
        else:
            self.wait += 1
        return improved

    def new_phase(self) -> None:
        self.wait = 0

    @property
    def minutes(self) -> float:
        return (time.time() - self.started) / 60

    @property
    def patience_spent(self) -> bool:
        return self.patience is not None and self.wait >= self.patience

    def budget_spent(self) -> bool:
        if self.max_minutes and self.minutes >= self.max_minutes:
            self.out_of_time = True
        return self.out_of_time


def run_epochs(epoch: Callable[[int], tuple[float, Callable[[], list], dict | None]], best: BestEpoch, *,
               epochs: int | Callable[[], int], after: Callable[[int], bool] | None = None) -> int:
    """Run ``epoch(i)`` for i = 0, 1, ... (it trains one epoch and returns its validation score, a function giving
    the weights and the metrics) until ``epochs`` (a number, or a function for a plan that changes) are done,
    patience is spent or ``after(epochs_done)`` says stop. Returns the epochs run."""
    planned = epochs if callable(epochs) else (lambda: epochs)
    done = 0
    while done < planned():
        value, weights, metrics = epoch(done)
        best.record(done + 1, value, weights, metrics)
        done += 1
        if best.patience_spent or (after is not None and after(done)):
            break
    return done
