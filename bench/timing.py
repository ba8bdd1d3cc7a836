import statistics
import time


def best_of(fn, *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds per call over `repeat` rounds of `number` calls (after one warm-up)."""
    fn()
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def fastest_interleaved(*fns, repeat: int = 7) -> list[float]:
    """Seconds per call of each function: the fastest of `repeat` rounds, the functions taking turns in each round
    (after one warm-up each). On a shared machine the load changes from second to second; taking turns exposes
    every function to the same load, and the fastest round is the one least disturbed, so ratios stay meaningful."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best
