"""Write a small RAGAS testset from PubMedQA, the served model writing the responses.

Each row: the question, its abstract's sections as the retrieved contexts, the authors' long answer
as the reference, and the model's answer from those contexts as the response (greedy), the way a RAG
system would answer. ragas.yaml reads the file this writes.

    evalscope serve --model smollm2-135m-instruct --host 127.0.0.1 --port 8000 &
    python examples/backends/make_ragas_testset.py            # -> outputs/examples/ragas_testset.json
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import click

PROMPT = "Answer the question in one or two sentences using only the context.\nContext: {context}\nQuestion: {question}\nAnswer:"


def pubmedqa_rows(dataset_dir: Path, n: int) -> list[dict]:
    """The first `n` PubMedQA (PQA-L) items as RAG rows without a response."""
    data = json.loads((dataset_dir / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    return [
        {"id": pmid, "user_input": item["QUESTION"], "retrieved_contexts": item["CONTEXTS"], "reference": item["LONG_ANSWER"]}
        for pmid, item in list(data.items())[:n]
    ]


def answer(api_base: str, model: str, row: dict, max_tokens: int) -> str:
    """The served model's greedy answer to the row's question from its contexts."""
    prompt = PROMPT.format(context=" ".join(row["retrieved_contexts"]), question=row["user_input"])
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": max_tokens, "temperature": 0}).encode()
    request = urllib.request.Request(f"{api_base.rstrip('/')}/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["choices"][0]["message"]["content"].strip()


@click.command()
@click.option("--dataset-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=lambda: os.environ.get("EVALSCOPE_DATASET_DIR", "../shared/datasets"), show_default="$EVALSCOPE_DATASET_DIR or ../shared/datasets",
              help="Folder holding pubmedqa/ori_pqal.json.")
@click.option("--api-base", default="http://127.0.0.1:8000/v1", show_default=True, help="The model server's base URL.")
@click.option("--model", default="smollm2-135m-instruct", show_default=True, help="The model's name on the server.")
@click.option("-n", "--rows", default=1, show_default=True, type=click.IntRange(min=1), help="How many PubMedQA items.")
@click.option("--max-tokens", default=96, show_default=True, type=click.IntRange(min=1))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("outputs/examples/ragas_testset.json"),
              show_default=True)
def main(dataset_dir: Path, api_base: str, model: str, rows: int, max_tokens: int, out: Path) -> None:
    testset = pubmedqa_rows(dataset_dir, rows)
    for row in testset:
        row["response"] = answer(api_base, model, row, max_tokens)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(testset, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    click.echo(f"wrote {len(testset)} rows to {out}")


if __name__ == "__main__":
    main()
