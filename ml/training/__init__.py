"""From data to a model folder: loading every source, splits, augmentation, builders, the one training loop and
the trainers that use it (train, finetune, fuse, fuse-sources), calibration, thresholds and guard fitting."""
