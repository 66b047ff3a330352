"""MMLU: 57 subjects in 4 categories, 5-shot from the dev split, next-token letter scoring.

Prompt: `The following are multiple choice questions (with answers) about {subject}.` then 5 dev
examples `Q⏎A. …⏎Answer: X` and the target question once (EvalScope 0.9-0.13 appended it twice; we
do not). `prompt_style: evalscope-0.12` sends 0.12's exact spacing instead (_evalscope012.py).
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import few_shot_then_question, letter_of
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample

CATEGORIES: dict[str, tuple[str, ...]] = {
    "STEM": (
        "abstract_algebra", "anatomy", "astronomy", "college_biology", "college_chemistry",
        "college_computer_science", "college_mathematics", "college_physics", "computer_security",
        "conceptual_physics", "electrical_engineering", "elementary_mathematics", "high_school_biology",
        "high_school_chemistry", "high_school_computer_science", "high_school_mathematics",
        "high_school_physics", "high_school_statistics", "machine_learning",
    ),
    "Humanities": (
        "formal_logic", "high_school_european_history", "high_school_us_history",
        "high_school_world_history", "international_law", "jurisprudence", "logical_fallacies",
        "moral_disputes", "moral_scenarios", "philosophy", "prehistory", "professional_law",
        "world_religions",
    ),
    "Social Science": (
        "econometrics", "high_school_geography", "high_school_government_and_politics",
        "high_school_macroeconomics", "high_school_microeconomics", "high_school_psychology",
        "human_sexuality", "professional_psychology", "public_relations", "security_studies",
        "sociology", "us_foreign_policy",
    ),
    "Other": (
        "business_ethics", "clinical_knowledge", "college_medicine", "global_facts", "human_aging",
        "management", "marketing", "medical_genetics", "miscellaneous", "nutrition",
        "professional_accounting", "professional_medicine", "virology",
    ),
}
CATEGORY_OF = {subject: cat for cat, subjects in CATEGORIES.items() for subject in subjects}
SUBJECTS = tuple(sorted(CATEGORY_OF))


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    if "choice0" in record:  # HF cais/mmlu CSV: question, choice0..3, answer index
        choices = [record[f"choice{i}"] for i in range(4)]
        question, answer = record["question"], record["answer"]
    else:  # ModelScope modelscope/mmlu: input, A..D, target letter
        choices = [record[k] for k in "ABCD"]
        question, answer = record["input"], record["target"]
    return Sample(id=str(record.get("id", index)), input=question, choices=choices, target=letter_of(answer))


def format_query(sample: Sample, ctx: PromptContext) -> str:
    subject = sample.subset.replace("_", " ")
    header = f"The following are multiple choice questions (with answers) about {subject}.\n\n"
    return few_shot_then_question(sample, ctx, header=header)


SPEC = mcq_spec(
    name="mmlu",
    data=DataSpec(
        dataset_id="modelscope/mmlu",
        hf_dataset_id="cais/mmlu",
        subsets=SUBJECTS,
        eval_split="test",
        fewshot_split="dev",
        local_dir="mmlu",
        local_patterns=("{split}/{subset}_{split}.csv",),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=5, max_few_shot=5, format_query=format_query),
    pretty_name="MMLU",
    description="Massive Multitask Language Understanding: 57 subjects, 5-shot from dev.",
    tags=("knowledge", "mcq"),
    category=lambda subset: (CATEGORY_OF.get(subset, "Other"),),
    output_types=("multiple_choice", "generation", "continuation"),
)
