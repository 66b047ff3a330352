"""How `evalscope benchmarks` prints the catalogue: the list fitted to a width, a GitHub markdown
table with every column, and one benchmark's card (text wrapped to a width, or markdown)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

#: output types in the narrow list
SHORT_TYPES = {"generation": "gen", "multiple_choice": "mc", "continuation": "cont"}
GAP = "  "
#: narrowest description column worth showing
MIN_DESCRIPTION = 12


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _metrics_cell(metrics: Sequence[str], width: int) -> str:
    """As many metric names as fit, then "+N" for the others."""
    full = ", ".join(metrics)
    if len(full) <= width:
        return full
    for shown in range(len(metrics) - 1, 0, -1):
        text = f"{', '.join(metrics[:shown])} +{len(metrics) - shown}"
        if len(text) <= width:
            return text
    suffix = f" +{len(metrics) - 1}" if len(metrics) > 1 else ""
    return _cut(metrics[0], width - len(suffix)) + suffix


def _local_cell(info: dict[str, Any]) -> str:
    if not info["local_dir"]:
        return "-"
    if info["local_path"] is None:
        return "?"
    return "found" if info["local_found"] else "no"


def format_list(infos: list[dict[str, Any]], width: int) -> str:
    """One line per benchmark, no line wider than `width`: name, subsets, shots, output types,
    local data, metrics and (where there is room) the description; a legend below."""
    ok = [i for i in infos if "error" not in i]
    rows = [
        {
            "Name": i["name"],
            "Subsets": str(i["num_subsets"]),
            "Shots": str(i["few_shot_num"]),
            "Types": ",".join(SHORT_TYPES.get(t, t) for t in i["output_types"]),
            "Local": _local_cell(i),
            "metrics": i["metrics"],
            "Description": i["description"] or i["pretty_name"],
        }
        for i in ok
    ]
    fixed = ["Name", "Subsets", "Shots", "Types", "Local"]
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in fixed}
    widths["Name"] = min(widths["Name"], 24)
    used = sum(widths.values()) + len(GAP) * len(fixed)
    longest_metrics = max([7, *(len(", ".join(r["metrics"])) for r in rows)])
    widths["Metrics"] = max(7, min(longest_metrics, 18, width - used))
    room = width - used - widths["Metrics"] - len(GAP)
    columns = [*fixed, "Metrics"] + (["Description"] if room >= MIN_DESCRIPTION else [])
    if "Description" in columns:
        widths["Description"] = room

    def line(cells: dict[str, str]) -> str:
        return GAP.join(_cut(cells[c], widths[c]).ljust(widths[c]) for c in columns).rstrip()[:width]

    out = [line({c: c for c in columns}), line({c: "-" * widths[c] for c in columns})]
    for r in rows:
        out.append(line({**r, "Metrics": _metrics_cell(r["metrics"], widths["Metrics"])}))
    legend = (
        "Types: gen = generation, mc = multiple_choice (option-letter probabilities), cont = continuation"
        " (log-likelihood); the first is what a local model gets. Local: found under --dataset-dir, no,"
        " ? (no --dataset-dir given), - (hub only). `evalscope benchmarks NAME` describes one;"
        " --format markdown|json gives every column."
    )
    out += ["", *textwrap.wrap(legend, width)]
    broken = [i for i in infos if "error" in i]
    if broken:
        out += ["", "Not available:"]
        out += [
            w
            for i in broken
            for w in textwrap.wrap(
                f"{i['name']}: {i['error']}", width, initial_indent="  ", subsequent_indent="    "
            )
        ]
    return "\n".join(out)


def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def format_markdown(infos: list[dict[str, Any]]) -> str:
    """A GitHub table with every column (all subsets named)."""
    headers = [
        "Name", "Pretty name", "Description", "Subsets", "Metrics", "Output types", "Shots",
        "Eval split", "ModelScope", "Hugging Face", "Local folder", "Local found",
    ]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for i in infos:
        if "error" in i:
            cells = [i["name"], "", f"not available: {i['error']}", *[""] * (len(headers) - 3)]
        else:
            cells = [
                i["name"], i["pretty_name"], i["description"], f"{i['num_subsets']}: {', '.join(i['subsets'])}",
                ", ".join(i["metrics"]), ", ".join(i["output_types"]), i["few_shot_num"], i["eval_split"],
                i["dataset_id"] or "", i["hf_dataset_id"] or "", f"{i['local_dir']}/" if i["local_dir"] else "",
                ("yes" if i["local_found"] else "no") if i["local_path"] else "",
            ]  # fmt: skip
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines)


# -- one benchmark --------------------------------------------------------------------------------


def data_lines(card: Any) -> list[str]:
    """Where the data comes from: hub ids, the local layout and whether it was found."""
    lines = []
    if card.dataset_id:
        lines.append(f"ModelScope: {card.dataset_id} (the default hub)")
    if card.hf_dataset_id:
        lines.append(f"Hugging Face: {card.hf_dataset_id} (--dataset-hub huggingface)")
    local = card.local
    if local.folder:
        root = local.folder if local.folder.startswith("/") else f"<dataset-dir>/{local.folder}"
        lines.append(f"Local: {root}/ with {' or '.join(local.patterns) or 'its files'}")
        if local.path is None:
            lines.append("  not checked: no --dataset-dir (or EVALSCOPE_DATASET_DIR) given")
        elif not local.found:
            lines.append(f"  not found: {local.path} does not exist")
        else:
            counted = (
                f" ({local.subsets_found} of {local.subsets_checked} subsets' {card.eval_split} files)"
                if local.subsets_checked
                else ""
            )
            lines.append(f"  found: {local.path}{counted}")
    if not lines:
        lines.append("no files: the benchmark builds its records itself")
    split = f"evaluation split {card.eval_split}" + (
        f", few-shot split {card.fewshot_split}" if card.fewshot_split else ""
    )
    lines.append(split[0].upper() + split[1:])
    return lines


def example_lines(card: Any) -> list[str]:
    """The rendered prompt (or the template, with why), as plain lines."""
    ex = card.example
    if ex is None:
        return []
    if not ex.rendered:
        lines = [
            f"Not rendered: {ex.note}.",
            "Template of the user message ({query} is the formatted question):",
        ]
        lines += ["  " + t for t in ex.template.splitlines()]
        if ex.formatter:
            lines.append(f"{{query}} is written by {ex.formatter}")
        if ex.system_prompt:
            lines += ["System prompt:", *("  " + t for t in ex.system_prompt.splitlines())]
        return lines
    lines = [f"Subset {ex.subset}, sample {ex.sample_id}, {ex.output_type} (what a local model is sent):"]
    for m in ex.messages:
        lines.append(f"[{m['role']}]")
        lines += m["content"].splitlines() or [""]
    if ex.prompt is not None:
        lines.append("[prompt]" if ex.output_type != "continuation" else "[context]")
        lines += ex.prompt.splitlines() or [""]
    if ex.choices:
        if ex.output_type == "continuation":
            lines.append("[continuations scored by log-likelihood]")
            lines += [f"{chr(65 + n)}. {c!r}" for n, c in enumerate(ex.choices)]
        else:
            lines.append(f"[options scored by next-token probability] {', '.join(ex.choices)}")
    lines.append(f"Expected answer: {ex.target}")
    return lines


def _wrap(text: str, width: int, indent: str = "", hanging: str = "") -> list[str]:
    """`text` wrapped to `width` with `indent` (and `hanging` more on continuation lines), its own
    line breaks and blank lines kept."""
    out = []
    for raw in text.splitlines() or [""]:
        lead = raw[: len(raw) - len(raw.lstrip(" "))]
        out += textwrap.wrap(
            raw,
            width,
            initial_indent=indent,
            subsequent_indent=indent + lead + hanging,
            break_on_hyphens=False,
            drop_whitespace=True,
        ) or [indent.rstrip()]
    return out


def format_card(card: Any, width: int) -> str:
    """One benchmark in text, no line wider than `width`."""
    if card.error is not None:
        return "\n".join(_wrap(f"{card.name}: not available: {card.error}", width))
    out: list[str] = []

    def section(title: str, lines: list[str], hanging: str = "  ") -> None:
        out.append("")
        out.append(title)
        for text in lines:
            out.extend(_wrap(text, width, "  ", hanging))

    title = card.name if card.pretty_name in ("", card.name) else f"{card.name} ({card.pretty_name})"
    out += _wrap(title, width)
    if card.description:
        out += _wrap(card.description, width)
    if card.tags:
        out += _wrap(f"Tags: {', '.join(card.tags)}", width)
    section("Data", data_lines(card))
    section(f"Subsets ({len(card.subsets)})", [", ".join(card.subsets)])
    shots = f"{card.few_shot_num}" + (
        f" from the {card.fewshot_split} split" if card.few_shot_num and card.fewshot_split else ""
    )
    section(
        "Settings",
        [
            f"Output types: {', '.join(card.output_types)}",
            f"  a local model gets {card.local_model_output_type or 'none of them'};"
            f" a service gets {card.service_output_type or 'none of them (it needs a local model)'}",
            f"Few-shot default: {shots} (dataset_args.{card.name}.few_shot_num changes it)",
            f"Metrics: {', '.join(card.metrics)}",
        ],
    )
    section("Prompt", example_lines(card), hanging="")
    section("Extraction and scoring", card.extraction)
    section("Run it", [card.command])
    return "\n".join(out)


def format_markdown_card(card: Any) -> str:
    """One benchmark as markdown sections (the prompt in a fenced block)."""
    if card.error is not None:
        return f"## {card.name}\n\nNot available: {card.error}"
    parts = [
        f"## {card.name}" + (f" ({card.pretty_name})" if card.pretty_name not in ("", card.name) else "")
    ]
    if card.description:
        parts.append(card.description)
    parts.append("### Data\n\n" + "\n".join(f"- {line.strip()}" for line in data_lines(card)))
    parts.append(f"### Subsets ({len(card.subsets)})\n\n{', '.join(card.subsets)}")
    parts.append(
        "### Settings\n\n"
        f"- Output types: {', '.join(card.output_types)} (a local model gets {card.local_model_output_type},"
        f" a service {card.service_output_type})\n- Few-shot default: {card.few_shot_num}\n- Metrics: {', '.join(card.metrics)}"
    )
    lines = example_lines(card)
    if lines:
        parts.append(f"### Prompt\n\n{lines[0]}\n\n```text\n" + "\n".join(lines[1:]) + "\n```")
    parts.append("### Extraction and scoring\n\n" + "\n".join(f"- {line}" for line in card.extraction))
    parts.append(f"### Run it\n\n```bash\n{card.command}\n```")
    return "\n\n".join(parts)
