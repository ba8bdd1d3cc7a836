"""Run every benchmark: `python -m bench` (or `make bench`). Each prints ratios against a baseline run alongside."""

import sys

from bench import (
    ai_latency,
    ai_throughput,
    image_cleaning,
    inference_batching,
    inference_runtime,
    queue_page,
    value_history,
    worker_memory,
)


def main() -> int:
    for bench in (image_cleaning, inference_batching, inference_runtime, ai_latency, ai_throughput, queue_page,
                  value_history, worker_memory):
        print(f"== {bench.__name__}")
        bench.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
