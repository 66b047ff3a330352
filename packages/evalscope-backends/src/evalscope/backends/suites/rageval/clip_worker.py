"""The CLIP-benchmark worker (runs in the managed env `clip`: open_clip + clip_benchmark on torch 2.14.1).

Models are open_clip architectures with local weights (`pretrained: /path/weights.pt`; named
pretrained tags need the hub). Datasets, as in EvalScope, are either
- a WebDataset folder (`<split>/nshards.txt`, `<split>/0.tar`..., `classnames.txt`,
  `zeroshot_classification_templates.txt`, optional `dataset_type.txt`): read by clip_benchmark's
  own `wds/` loader; zero-shot classification (or retrieval when the type says so);
- an `image_queries.jsonl` folder (`{"image_path": ..., "query": [captions]}` per line, paths
  relative to the folder): image-text retrieval.
Metrics are clip_benchmark's (`metrics.zeroshot_classification.evaluate` / `zeroshot_retrieval.evaluate`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from evalscope.backends.suites.boundary import WorkerConfigError, WorkerRequest, worker_main
from evalscope.backends.suites.rageval import records
from evalscope.backends.suites.rageval.config import ClipConfig
from evalscope.core.serialization import structure
from evalscope.core.suites import SuiteRun
from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus


def dataset_folder(data_dir: Path, name: str) -> Path:
    """`<data_dir>/<name>` when it exists, else `data_dir` itself (EvalScope's single-dataset layout)."""
    folder = data_dir / name
    return folder if folder.is_dir() else data_dir


def layout(folder: Path, split: str) -> str:
    if (folder / "image_queries.jsonl").is_file():
        return "image_queries"
    if (folder / split / "nshards.txt").is_file():
        return "wds"
    raise WorkerConfigError(f"{folder}: neither image_queries.jsonl nor a WebDataset split folder {split}/nshards.txt")


class ImageQueries:
    """EvalScope's custom retrieval set: one image per line with its captions."""

    def __init__(self, folder: Path, transform: Any, limit: int | None) -> None:
        path = folder / "image_queries.jsonl"
        self.rows = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "image_path" not in row or "query" not in row:
                raise WorkerConfigError(f"{path}:{lineno}: needs image_path and query")
            image = (folder / row["image_path"]).resolve()
            if not image.is_file():
                raise WorkerConfigError(f"{path}:{lineno}: image {image} does not exist")
            queries = row["query"] if isinstance(row["query"], list) else [row["query"]]
            self.rows.append((image, [str(q) for q in queries]))
            if limit is not None and len(self.rows) >= limit:
                break
        self.transform = transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[Any, list[str]]:
        from PIL import Image

        image, queries = self.rows[i]
        with Image.open(image) as img:
            return self.transform(img.convert("RGB")), queries


def _captions_collate(batch: list[tuple[Any, list[str]]]) -> tuple[Any, list[list[str]]]:
    import torch

    return torch.stack([b[0] for b in batch]), [b[1] for b in batch]


def _load_model(model_cfg: dict[str, Any]) -> tuple[Any, Any, Any, str]:
    import open_clip

    name = model_cfg["model_name"]
    pretrained = model_cfg.get("pretrained")
    try:
        model, _, transform = open_clip.create_model_and_transforms(name, pretrained=pretrained, device="cpu")
    except RuntimeError as exc:
        raise WorkerConfigError(f"models: {name!r}: {exc}") from None
    model.eval()
    label = f"{name}@{Path(pretrained).stem}" if pretrained else name
    return model, transform, open_clip.get_tokenizer(name), label


def _classification(model: Any, tokenizer: Any, transform: Any, folder: Path, cfg: Any, limit: int | None) -> tuple[dict[str, float], list[SampleResult]]:
    import torch
    from clip_benchmark.datasets.builder import build_dataset
    from clip_benchmark.metrics import zeroshot_classification as zsc

    dataset = build_dataset(f"wds/{folder.name}", root=str(folder), transform=transform, split=cfg.split, download=False)
    classes, templates = dataset.classes, dataset.templates
    if not classes or not templates:
        raise WorkerConfigError(f"{folder}: zero-shot classification needs classnames.txt and zeroshot_classification_templates.txt")
    if limit is not None:
        dataset = dataset.slice(limit)
    batched = dataset.batched(cfg.batch_size)
    batched.classes = classes  # clip_benchmark's evaluate reads the class list from the loader's dataset
    loader = torch.utils.data.DataLoader(batched, batch_size=None, num_workers=cfg.num_workers)
    captured: dict[str, Any] = {}
    original = zsc.run_classification

    def run_classification(*args: Any, **kwargs: Any) -> Any:
        logits, target = original(*args, **kwargs)
        captured["logits"], captured["target"] = logits, target
        return logits, target

    zsc.run_classification = run_classification
    try:
        metrics = zsc.evaluate(model, loader, tokenizer, classes, templates, "cpu", amp=False)
    finally:
        zsc.run_classification = original
    samples = []
    logits, target = captured["logits"], captured["target"]
    for i, (row, gold) in enumerate(zip(logits, target)):
        pred = int(row.argmax())
        samples.append(SampleResult(
            sample_id=str(i), subset="default", request_key=f"clip:{folder.name}:{i}",
            sample=Sample(id=str(i), input=f"image {i}", target=classes[int(gold)], choices=list(classes)),
            output=ModelOutput(text=classes[pred], scores=[float(x) for x in row]),
            prediction=classes[pred], gold=classes[int(gold)], scores={"acc1": float(pred == int(gold))},
            status=SampleStatus.SCORED,
        ))
    return {k: float(v) for k, v in metrics.items()}, samples


def _retrieval(model: Any, tokenizer: Any, transform: Any, folder: Path, kind: str, cfg: Any, limit: int | None) -> tuple[dict[str, float], int]:
    import torch
    from clip_benchmark.metrics import zeroshot_retrieval as zsr

    if kind == "image_queries":
        dataset = ImageQueries(folder, transform, limit)
        loader: Any = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=False, num_workers=cfg.num_workers, collate_fn=_captions_collate)  # type: ignore[arg-type]  # a map-style dataset, not a torch Dataset subclass
        num = len(dataset)
    else:
        from clip_benchmark.datasets.builder import build_dataset, get_dataset_collate_fn

        dataset = build_dataset(f"wds/{folder.name}", root=str(folder), transform=transform, split=cfg.split, download=False, task="zeroshot_retrieval")
        loader = torch.utils.data.DataLoader(dataset.batched(cfg.batch_size), batch_size=None, num_workers=cfg.num_workers,
                                             collate_fn=get_dataset_collate_fn(f"wds/{folder.name}"))
        num = sum(1 for _ in dataset)
    metrics = zsr.evaluate(model, loader, tokenizer, "cpu", amp=False, recall_k_list=[1, 5])
    return {k: float(v) for k, v in metrics.items()}, num


def run(request: WorkerRequest) -> SuiteRun:
    cfg = structure(request.eval_config, ClipConfig).eval
    out_dir = Path(request.options["output_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(request.options["data_dir"])
    limit = cfg.limit if cfg.limit is not None else (request.task.get("limit") if isinstance(request.task.get("limit"), int) else None)
    result = SuiteRun(artefacts=[str(out_dir)])
    started = time.monotonic()
    for model_cfg in [m for m in request.eval_config["eval"]["models"]]:
        model, transform, tokenizer, label = _load_model(model_cfg)
        label = request.model_id or label
        for name in cfg.dataset_name:
            folder = dataset_folder(data_dir, name)
            kind = layout(folder, cfg.split)
            task = cfg.task or ("zeroshot_retrieval" if kind == "image_queries" or _wds_type(folder) == "retrieval" else "zeroshot_classification")
            if task == "zeroshot_classification":
                if kind != "wds":
                    raise WorkerConfigError(f"{folder}: zero-shot classification needs a WebDataset folder with classnames.txt")
                metrics, samples = _classification(model, tokenizer, transform, folder, cfg, limit)
                num = len(samples)
                result.results[name] = samples
            else:
                metrics, num = _retrieval(model, tokenizer, transform, folder, kind, cfg, limit)
            report = records.clip_report(name, label, task, metrics, num)
            report.stats.seconds = round(time.monotonic() - started, 2)
            result.reports.append(report)
            dump = {"dataset": name, "model": label, "task": task, "metrics": metrics}
            path = out_dir / f"{label.replace('/', '_')}_{name}_{task}.json"
            path.write_text(json.dumps(dump, indent=2), encoding="utf-8")
            result.artefacts.append(str(path))
            print(f"clip worker: {label} x {name} ({task}): {metrics}", flush=True)
    return result


def _wds_type(folder: Path) -> str:
    path = folder / "dataset_type.txt"
    return path.read_text(encoding="utf-8").strip().lower() if path.is_file() else "classification"


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(worker_main(run))
