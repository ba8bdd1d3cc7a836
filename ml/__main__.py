"""Command line: ``python -m ml train|evaluate|fuse|split|finetune|fuse-sources|evaluate-sources|explain|guard ...``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from PIL import Image

from ml.evaluation.evaluate import evaluate
from ml.serving.predictor import Predictor
from ml.training import multisource, ood
from ml.training.augmentation import AugmentationOptions
from ml.training.data import load_metadata
from ml.training.finetune import FinetuneOptions, finetune, write_split_file
from ml.training.fuse import FuseOptions, fuse
from ml.training.models import ARCHS
from ml.training.multisource import SourcesOptions, fuse_sources
from ml.training.splits import split_by_lesion
from ml.training.train import TrainOptions, train


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


def _finetune_parsers(sub):
    s = sub.add_parser("split", help="write the lesion-level split as image ids (for a finetune run elsewhere)")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=42)
    t = sub.add_parser("finetune", help="fine-tune every block at an upscaled input on an accelerator (any Keras "
                                        "backend, no tf.data); writes a trunk model folder")
    for f in fields(FinetuneOptions):
        kind = float if "float" in f.type else int if "int" in f.type else str
        required = f.default is MISSING
        t.add_argument(
            f"--{f.name.replace('_', '-')}", type=kind, required=required, default=None if required else f.default
        )


def _split(args) -> int:
    split = write_split_file(args.data, args.out, seed=args.seed)
    print(f"train {len(split['train'])}, val {len(split['val'])}, test {split['n_test']} (ids not written)")
    return 0


def _finetune(args) -> int:
    finetune(FinetuneOptions(**{f.name: getattr(args, f.name) for f in fields(FinetuneOptions)}))
    return 0


def _evaluate(args) -> int:
    r = evaluate(args.model, args.data, args.out, split=args.split, tta=args.tta,
                 metadata_variants=args.metadata_variants)
    keys = ["n", "accuracy", "balanced_accuracy", "macro_auc", "top2_accuracy", "top3_accuracy", "mel_sensitivity", "ece",
            "calibration", "operating_points", "not_assessable_fraction", "heatmap_faithfulness"]
    summary = {k: r[k] for k in keys if k in r}
    summary.get("calibration", {}).pop("reliability_after", None)
    print(json.dumps(summary, indent=2))
    return 0


def _fuse_parser(sub):
    p = sub.add_parser("fuse", help="clinical model from a trained image model: metadata head, calibration, "
                                    "flag thresholds and image guard, all set on the validation split")
    p.add_argument("--trunk", required=True, help="trained image model folder")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    defaults = FuseOptions(trunk="", data="", out="")
    for f in fields(FuseOptions):
        if f.name in ("trunk", "data", "out"):
            continue
        default = getattr(defaults, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            typ = {int: int, float: float}.get(type(default), str)
            p.add_argument(flag, type=typ, default=default, help=f"default: {default}")


def _fuse(args) -> int:
    fuse(FuseOptions(**{f.name: getattr(args, f.name) for f in fields(FuseOptions)}))
    return 0


def _sources_parser(sub):
    p = sub.add_parser("fuse-sources", help="the clinical model on every training source: head, calibration, "
                                            "per-source thresholds and the guard on a frozen trunk's cached features")
    s = sub.add_parser("evaluate-sources", help="test parts per source and pooled (once, after the model is fixed), "
                                                "shortcut checks; --loso: leave-one-source-out")
    for q in (p, s):
        q.add_argument("--trunk", required=True, help="clinical model folder whose graph has a 'trunk' layer (v3)")
        q.add_argument("--data-root", required=True, help="folder holding the source folders (../shared/data)")
        q.add_argument("--cache", required=True, help="feature cache folder (written on the first run)")
    p.add_argument("--out", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--out", required=True, help="JSON report")
    s.add_argument("--loso", action="store_true", help="also leave each source out in turn")
    s.add_argument("--colour-constancy", action="store_true", help="also the shades-of-grey trial on validation")
    defaults = SourcesOptions(trunk="", data_root="", out="", cache="")
    for f in fields(SourcesOptions):
        default = getattr(defaults, f.name)
        if f.name in ("trunk", "data_root", "out", "cache", "sources", "aug_views"):
            continue
        flag = "--" + f.name.replace("_", "-")
        for q in (p, s):
            if isinstance(default, bool):
                q.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
            else:
                q.add_argument(flag, type={int: int, float: float}.get(type(default), str), default=default,
                               help=f"default: {default}")
    for q in (p, s):
        q.add_argument("--sources", default=",".join(defaults.sources), help="comma-separated source names")


def _sources_options(args):
    values = {f.name: getattr(args, f.name) for f in fields(SourcesOptions) if hasattr(args, f.name)}
    values["sources"] = tuple(args.sources.split(","))
    values.setdefault("out", "")
    return SourcesOptions(**values)


def _fuse_sources(args) -> int:
    fuse_sources(_sources_options(args))
    return 0


def _evaluate_sources(args) -> int:
    opts = _sources_options(args)
    report = {"test": multisource.evaluate_sources(args.model, opts)}
    if args.loso:
        report["leave_one_source_out"] = multisource.leave_one_source_out(opts)
    if args.colour_constancy:
        report["colour_constancy_validation"] = multisource.colour_constancy_trial(opts)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(multisource.summary_table(report))
    return 0


def _explain(args) -> int:

    predictor = Predictor.load(args.model)
    meta = [{"age": args.age, "sex": args.sex, "localization": args.site}]
    with Image.open(args.image) as img:
        result = predictor.classify([img], metadata=meta)[0]
    fields = result.to_dict()
    with open(args.out, "wb") as f:
        f.write(fields.pop("heatmap_png"))
    print(json.dumps(fields, indent=2, default=float))
    return 0


def _guard(args) -> int:

    predictor = Predictor.load(args.model)
    df = load_metadata(args.data)
    s = predictor.card["training"]["split"]
    part = split_by_lesion(df, val_fraction=s["val_fraction"], test_fraction=s["test_fraction"], seed=s["seed"])[args.split]
    lesions = [Image.open(p).convert("RGB") for p in part.sample(n=min(args.lesions, len(part)), random_state=0)["path"]]
    corpus = ood.held_out_corpus(lesions) if args.held_out else ood.not_assessable_corpus(lesions)
    report = ood.guard_report(predictor, corpus)
    report.update({"model": predictor.name, "degraded_from": f"{len(lesions)} {args.split}-split images",
                   "thresholds": predictor.guard_thresholds})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("n", "flagged_fraction", "per_kind", "passed")}, indent=2))
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
    e.add_argument("--metadata-variants", action=argparse.BooleanOptionalAction, default=True,
                   help="also score with partial and no metadata (models that take metadata)")
    _fuse_parser(sub)
    _finetune_parsers(sub)
    _sources_parser(sub)
    x = sub.add_parser("explain", help="classify one image: the full result as JSON, heat-map PNG to --out")
    x.add_argument("--model", required=True)
    x.add_argument("--image", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--age", type=float, default=None)
    x.add_argument("--sex", default=None)
    x.add_argument("--site", default=None, help="body site (HAM10000 localization)")
    g = sub.add_parser("guard", help="share of not-assessable images (photographs, documents, screenshots, blank, "
                                     "blurred/dark/overexposed lesions) that the model's guard refuses")
    g.add_argument("--model", required=True)
    g.add_argument("--data", required=True, help="HAM10000-layout folder: lesions to degrade come from its split")
    g.add_argument("--split", choices=["train", "val", "test"], default="test")
    g.add_argument("--lesions", type=int, default=60)
    g.add_argument("--held-out", action="store_true",
                   help="leave out the photographs the guard's dermoscopy classifier was trained on")
    g.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args(argv)
    return {"train": _train, "evaluate": _evaluate, "fuse": _fuse, "split": _split, "finetune": _finetune,
            "fuse-sources": _fuse_sources,
            "evaluate-sources": _evaluate_sources, "explain": _explain, "guard": _guard}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
