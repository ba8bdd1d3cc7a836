"""The one training loop: the best epoch is the first with the highest score, patience and the caller stop it."""

from ml.training.loop import BestEpoch, run_epochs, score


def _epochs(scores):
    return lambda i: (scores[i], lambda: [f"weights of epoch {i + 1}"], {"score": scores[i]})


def test_the_first_of_equal_best_epochs_is_kept():
    best = BestEpoch()
    assert run_epochs(_epochs([0.5, 0.7, 0.7, 0.6]), best, epochs=4) == 4
    assert (best.epoch, best.score, best.weights) == (2, 0.7, ["weights of epoch 2"])


def test_patience_stops_after_that_many_epochs_without_improvement():
    best = BestEpoch(patience=2)
    assert run_epochs(_epochs([0.5, 0.4, 0.3, 0.9]), best, epochs=4) == 3
    assert best.epoch == 1


def test_the_caller_and_a_changing_plan_end_the_run():
    plan = {"epochs": 5}

    def after(done):
        plan["epochs"] = 3
        return False

    assert run_epochs(_epochs([0.1] * 5), BestEpoch(), epochs=lambda: plan["epochs"], after=after) == 3
    assert run_epochs(_epochs([0.1] * 5), BestEpoch(), epochs=5, after=lambda done: done == 2) == 2


def test_the_time_budget_is_spent_once_its_minutes_have_passed():
    assert BestEpoch(max_minutes=1, started=0).budget_spent()
    assert not BestEpoch(max_minutes=60).budget_spent()
    assert not BestEpoch().budget_spent()


def test_score_balances_accuracy_and_balanced_accuracy():
    assert score({"accuracy": 0.8, "balanced_accuracy": 0.6}) == 0.7
    assert score({"macro_auc": 0.9}, "macro_auc") == 0.9
