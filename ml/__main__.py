"""Command line: ``python -m ml train|evaluate|explain ...``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields

from ml.augmentation import AugmentationOptions
from ml.models import ARCHS
from ml.training import TrainOptions


def _train_parser(sub):
    p = sub.add_parser("train", help="train a model and write its folder (model.keras + model.json)")
    p.add_argument("--data", required=True, help="folder in HAM10000 layout")
    p.add_argument("--arch", required=True, choices=sorted(ARCHS))
    p.add_argument("--out", required=True, help="model folder to write")
    defaults = TrainOptions(data="", arch="", out="")
    for f in fields(TrainOptions):
        if f.name in ("data", "arch", "out", "augment"):
            continue
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        typ = {int: int, float: float, str: str}.get(type(default), str)
        if f.name in ("max_minutes",):
            typ = float
        if f.name in ("steps_per_epoch", "limit"):
            typ = int
        p.add_argument(flag, type=typ, default=default, help=f"default: {default}")
    aug = AugmentationOptions()
    p.add_argument("--no-augment", action="store_true", help="switch every augmentation off")
    for f in fields(AugmentationOptions):
        default = getattr(aug, f.name)
        if isinstance(default, bool):
            p.add_argument(f"--no-aug-{f.name}", action="store_true", help=f"no random {f.name}")
        else:
            p.add_argument(f"--aug-{f.name}", type=float, default=default, help=f"default: {default}")
    return p


def _train(args) -> int:
    from ml.training import train

    if args.no_augment:
        augment = AugmentationOptions(False, 0, 0, 0, 0, 0, 0)
    else:
        augment = AugmentationOptions(
            flip=not args.no_aug_flip,
            **{f.name: getattr(args, f"aug_{f.name}") for f in fields(AugmentationOptions) if f.name != "flip"},
        )
    values = {f.name: getattr(args, f.name) for f in fields(TrainOptions) if f.name != "augment"}
    train(TrainOptions(**values, augment=augment))
    return 0


def _evaluate(args) -> int:
    from ml.evaluation import evaluate

    r = evaluate(args.model, args.data, args.out, split=args.split, tta=args.tta)
    keys = ["n", "accuracy", "balanced_accuracy", "macro_auc", "top2_accuracy", "top3_accuracy", "mel_sensitivity", "ece"]
    print(json.dumps({k: r[k] for k in keys}, indent=2))
    return 0


def _explain(args) -> int:
    from PIL import Image

    from ml.explain import gradcam_png
    from ml.predictor import Predictor

    predictor = Predictor.load(args.model)
    with Image.open(args.image) as img:
        png = gradcam_png(predictor, img, args.class_index)
        probs = predictor.predict([img])[0]
    with open(args.out, "wb") as f:
        f.write(png)
    print(json.dumps(dict(zip(predictor.classes, map(lambda p: round(float(p), 4), probs)))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    e = sub.add_parser("evaluate", help="metrics JSON + plots for a model on a data folder")
    e.add_argument("--model", required=True)
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True, help="JSON file; PNG plots are written beside it")
    e.add_argument("--split", choices=["train", "val", "test"], default=None,
                   help="score only this part of the lesion-disjoint split recorded in model.json (default: all images)")
    e.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="average the four flips (default: as the model card says)")
    x = sub.add_parser("explain", help="Grad-CAM PNG for one image")
    x.add_argument("--model", required=True)
    x.add_argument("--image", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--class-index", type=int, default=None)
    args = parser.parse_args(argv)
    return {"train": _train, "evaluate": _evaluate, "explain": _explain}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
