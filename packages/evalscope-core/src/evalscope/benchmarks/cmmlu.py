"""CMMLU: 67 Chinese subjects in STEM / Humanities / Social Science / Other / China specific.

Prompt: `以下是关于{Chinese subject}的单项选择题，请直接给出正确答案的选项。` then 5 dev examples
`Q⏎A. …⏎Answer: X` and the target ending `Answer:`. EvalScope 0.12 put the English subject id
into this Chinese sentence; we use the authors' Chinese subject names (`prompt_style:
evalscope-0.12` keeps 0.12's text, _evalscope012.py).
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import few_shot_then_question, letter_of, verbatim_metadata
from evalscope.benchmarks._mcq_formats import options_from_columns
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample

#: subject -> (Chinese name, category); subjects the authors tag "china specific" form that category
SUBJECTS: dict[str, tuple[str, str]] = {
    "agronomy": ("农学", "Other"),
    "anatomy": ("解剖学", "STEM"),
    "ancient_chinese": ("古汉语", "China specific"),
    "arts": ("艺术学", "Humanities"),
    "astronomy": ("天文学", "STEM"),
    "business_ethics": ("商业伦理", "Social Science"),
    "chinese_civil_service_exam": ("中国公务员考试", "China specific"),
    "chinese_driving_rule": ("中国驾驶规则", "China specific"),
    "chinese_food_culture": ("中国饮食文化", "China specific"),
    "chinese_foreign_policy": ("中国外交政策", "China specific"),
    "chinese_history": ("中国历史", "China specific"),
    "chinese_literature": ("中国文学", "China specific"),
    "chinese_teacher_qualification": ("中国教师资格", "China specific"),
    "clinical_knowledge": ("临床知识", "Other"),
    "college_actuarial_science": ("大学精算学", "STEM"),
    "college_education": ("大学教育学", "Social Science"),
    "college_engineering_hydrology": ("大学工程水文学", "STEM"),
    "college_law": ("大学法律", "Humanities"),
    "college_mathematics": ("大学数学", "STEM"),
    "college_medical_statistics": ("大学医学统计", "STEM"),
    "college_medicine": ("大学医学", "Other"),
    "computer_science": ("计算机科学", "STEM"),
    "computer_security": ("计算机安全", "Other"),
    "conceptual_physics": ("概念物理学", "STEM"),
    "construction_project_management": ("建设工程管理", "China specific"),
    "economics": ("经济学", "Social Science"),
    "education": ("教育学", "Social Science"),
    "electrical_engineering": ("电气工程", "STEM"),
    "elementary_chinese": ("小学语文", "China specific"),
    "elementary_commonsense": ("小学常识", "China specific"),
    "elementary_information_and_technology": ("小学信息技术", "Other"),
    "elementary_mathematics": ("初等数学", "STEM"),
    "ethnology": ("民族学", "China specific"),
    "food_science": ("食品科学", "Other"),
    "genetics": ("遗传学", "STEM"),
    "global_facts": ("全球事实", "Humanities"),
    "high_school_biology": ("高中生物", "STEM"),
    "high_school_chemistry": ("高中化学", "STEM"),
    "high_school_geography": ("高中地理", "Social Science"),
    "high_school_mathematics": ("高中数学", "STEM"),
    "high_school_physics": ("高中物理学", "STEM"),
    "high_school_politics": ("高中政治", "China specific"),
    "human_sexuality": ("人类性行为", "Other"),
    "international_law": ("国际法学", "Humanities"),
    "journalism": ("新闻学", "Social Science"),
    "jurisprudence": ("法理学", "Humanities"),
    "legal_and_moral_basis": ("法律与道德基础", "Other"),
    "logical": ("逻辑学", "Humanities"),
    "machine_learning": ("机器学习", "STEM"),
    "management": ("管理学", "Social Science"),
    "marketing": ("市场营销", "Social Science"),
    "marxist_theory": ("马克思主义理论", "Humanities"),
    "modern_chinese": ("现代汉语", "China specific"),
    "nutrition": ("营养学", "Other"),
    "philosophy": ("哲学", "Humanities"),
    "professional_accounting": ("专业会计", "Social Science"),
    "professional_law": ("专业法学", "Humanities"),
    "professional_medicine": ("专业医学", "Other"),
    "professional_psychology": ("专业心理学", "Social Science"),
    "public_relations": ("公共关系", "Social Science"),
    "security_study": ("安全研究", "Social Science"),
    "sociology": ("社会学", "Social Science"),
    "sports_science": ("体育学", "Other"),
    "traditional_chinese_medicine": ("中医中药", "China specific"),
    "virology": ("病毒学", "STEM"),
    "world_history": ("世界历史", "Humanities"),
    "world_religions": ("世界宗教", "Humanities"),
}


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    row_id = record.get("") or record.get("id")
    question, choices = str(record["Question"]), options_from_columns(record, "ABCD")
    return Sample(
        id=str(row_id if row_id not in (None, "") else index),
        input=question.strip(),
        choices=choices,
        target=letter_of(record["Answer"]),
        metadata=verbatim_metadata(
            question=(question, question.strip()), choices=([str(record[k]) for k in "ABCD"], choices)
        ),
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    name = SUBJECTS.get(sample.subset, (sample.subset.replace("_", " "), ""))[0]
    return few_shot_then_question(sample, ctx, header=f"以下是关于{name}的单项选择题，请直接给出正确答案的选项。\n\n")


SPEC = mcq_spec(
    name="cmmlu",
    data=DataSpec(
        dataset_id="modelscope/cmmlu",
        hf_dataset_id="haonan-li/cmmlu",
        subsets=tuple(SUBJECTS),
        eval_split="test",
        fewshot_split="dev",
        local_dir="cmmlu",
        local_patterns=("{split}/{subset}.csv",),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=5, max_few_shot=5, format_query=format_query),
    pretty_name="CMMLU",
    description="Chinese massive multitask language understanding: 67 subjects, 5-shot from dev.",
    tags=("knowledge", "mcq", "chinese"),
    category=lambda subset: (SUBJECTS[subset][1] if subset in SUBJECTS else "Other",),
)
