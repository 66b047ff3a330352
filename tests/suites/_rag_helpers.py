"""Small local task files cut from the real Cranfield collection (../shared/datasets/cranfield)
and PubMedQA rows, for the RAGEval tests. Written under a tmp dir; nothing is copied into the repo."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def _cranfield(root: Path) -> tuple[list[dict], list[dict], dict[str, dict[str, int]]]:
    beir = root / "cranfield" / "beir_format"
    corpus = [json.loads(line) for line in open(beir / "corpus.jsonl", encoding="utf-8")]
    queries = [json.loads(line) for line in open(beir / "queries.jsonl", encoding="utf-8")]
    qrels: dict[str, dict[str, int]] = {}
    with open(beir / "qrels" / "test.tsv", encoding="utf-8") as f:
        for row in list(csv.reader(f, delimiter="\t"))[1:]:
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return corpus, queries, qrels


def cranfield_subset(root: Path, dest: Path, *, queries: int = 12, distractors: int = 120) -> Path:
    """BEIR folder: the first `queries` Cranfield queries, every document relevant to one of them
    and the first `distractors` other documents (the real qrels, so scores are real)."""
    corpus, all_queries, qrels = _cranfield(root)
    chosen = [q for q in all_queries if q["_id"] in qrels][:queries]
    relevant = {d for q in chosen for d in qrels[q["_id"]]}
    others = [d for d in corpus if d["_id"] not in relevant][:distractors]
    docs = [d for d in corpus if d["_id"] in relevant] + others
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    with open(dest / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"_id": d["_id"], "title": d["title"], "text": d["text"]}) + "\n")
    with open(dest / "queries.jsonl", "w", encoding="utf-8") as f:
        for q in chosen:
            f.write(json.dumps({"_id": q["_id"], "text": q["text"]}) + "\n")
    with open(dest / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in chosen:
            for d, s in qrels[q["_id"]].items():
                f.write(f"{q['_id']}\t{d}\t{s}\n")
    return dest


def cranfield_sts(root: Path, dest: Path, *, queries: int = 10) -> Path:
    """STS-shaped pairs from Cranfield's human judgements: (query, title of a judged document)
    scored by its relevance grade 1-4, plus (query, title of an unjudged document) scored 0."""
    corpus, all_queries, qrels = _cranfield(root)
    titles = {d["_id"]: d["title"] for d in corpus}
    rows = []
    for q in [q for q in all_queries if q["_id"] in qrels][:queries]:
        judged = qrels[q["_id"]]
        for doc, grade in list(judged.items())[:3]:
            rows.append({"sentence1": q["text"], "sentence2": titles[doc], "score": grade})
        unjudged = next(d for d in sorted(titles, key=lambda x: (int(q["_id"]) * 7919 + int(x) * 104729) % 1400) if d not in judged)
        rows.append({"sentence1": q["text"], "sentence2": titles[unjudged], "score": 0})
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "test.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return dest


def pubmedqa_rows(root: Path, n: int) -> list[dict]:
    """The first `n` PubMedQA (PQA-L) items as RAG rows: question, its abstract's contexts, and the
    authors' long answer as the reference."""
    data = json.loads((root / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    rows = []
    for pmid in list(data)[:n]:
        item = data[pmid]
        rows.append({"id": pmid, "user_input": item["QUESTION"], "retrieved_contexts": item["CONTEXTS"],
                     "reference": item["LONG_ANSWER"]})
    return rows


def answer_rows(rows: list[dict], base_url: str, model: str, max_tokens: int = 96) -> list[dict]:
    """Fill each row's `response` the way a RAG system would: the served model answers the question
    from the retrieved contexts (greedy)."""
    import urllib.request

    for row in rows:
        prompt = (
            "Answer the question in one or two sentences using only the context.\n"
            f"Context: {' '.join(row['retrieved_contexts'])}\nQuestion: {row['user_input']}\nAnswer:"
        )
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}],
                           "max_tokens": max_tokens, "temperature": 0}).encode()
        req = urllib.request.Request(f"{base_url}/chat/completions", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as response:
            row["response"] = json.load(response)["choices"][0]["message"]["content"].strip()
    return rows
