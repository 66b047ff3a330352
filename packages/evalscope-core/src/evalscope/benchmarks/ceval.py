"""C-Eval: 52 Chinese exam subjects in 4 categories; eval on val (test labels are withheld).

Prompt: `以下是中国关于{Chinese subject}考试的单项选择题，请选出其中的正确答案。` then dev examples
`问题：Q⏎A. …⏎答案：X` (0-shot by default, at most 5) and the target question ending `答案：`.
`prompt_style: evalscope-0.12` sends 0.12's text (`答案: `, glued few-shot; _evalscope012.py).
"""

from __future__ import annotations

from evalscope.benchmarks import _evalscope012 as es012
from evalscope.benchmarks._mcq import letter_of, verbatim_metadata
from evalscope.benchmarks._mcq_formats import options_from_columns, shots_then, zh_block
from evalscope.core.benchmark import PromptContext, mcq_spec
from evalscope.core.types import Sample

#: subject -> (Chinese name, category), from the authors' subject_mapping.json
SUBJECTS: dict[str, tuple[str, str]] = {
    "computer_network": ("计算机网络", "STEM"),
    "operating_system": ("操作系统", "STEM"),
    "computer_architecture": ("计算机组成", "STEM"),
    "college_programming": ("大学编程", "STEM"),
    "college_physics": ("大学物理", "STEM"),
    "college_chemistry": ("大学化学", "STEM"),
    "advanced_mathematics": ("高等数学", "STEM"),
    "probability_and_statistics": ("概率统计", "STEM"),
    "discrete_mathematics": ("离散数学", "STEM"),
    "electrical_engineer": ("注册电气工程师", "STEM"),
    "metrology_engineer": ("注册计量师", "STEM"),
    "high_school_mathematics": ("高中数学", "STEM"),
    "high_school_physics": ("高中物理", "STEM"),
    "high_school_chemistry": ("高中化学", "STEM"),
    "high_school_biology": ("高中生物", "STEM"),
    "middle_school_mathematics": ("初中数学", "STEM"),
    "middle_school_biology": ("初中生物", "STEM"),
    "middle_school_physics": ("初中物理", "STEM"),
    "middle_school_chemistry": ("初中化学", "STEM"),
    "veterinary_medicine": ("兽医学", "STEM"),
    "college_economics": ("大学经济学", "Social Science"),
    "business_administration": ("工商管理", "Social Science"),
    "marxism": ("马克思主义基本原理", "Social Science"),
    "mao_zedong_thought": ("毛泽东思想和中国特色社会主义理论体系概论", "Social Science"),
    "education_science": ("教育学", "Social Science"),
    "teacher_qualification": ("教师资格", "Social Science"),
    "high_school_politics": ("高中政治", "Social Science"),
    "high_school_geography": ("高中地理", "Social Science"),
    "middle_school_politics": ("初中政治", "Social Science"),
    "middle_school_geography": ("初中地理", "Social Science"),
    "modern_chinese_history": ("近代史纲要", "Humanities"),
    "ideological_and_moral_cultivation": ("思想道德修养与法律基础", "Humanities"),
    "logic": ("逻辑学", "Humanities"),
    "law": ("法学", "Humanities"),
    "chinese_language_and_literature": ("中国语言文学", "Humanities"),
    "art_studies": ("艺术学", "Humanities"),
    "professional_tour_guide": ("导游资格", "Humanities"),
    "legal_professional": ("法律职业资格", "Humanities"),
    "high_school_chinese": ("高中语文", "Humanities"),
    "high_school_history": ("高中历史", "Humanities"),
    "middle_school_history": ("初中历史", "Humanities"),
    "civil_servant": ("公务员", "Other"),
    "sports_science": ("体育学", "Other"),
    "plant_protection": ("植物保护", "Other"),
    "basic_medicine": ("基础医学", "Other"),
    "clinical_medicine": ("临床医学", "Other"),
    "urban_and_rural_planner": ("注册城乡规划师", "Other"),
    "accountant": ("注册会计师", "Other"),
    "fire_engineer": ("注册消防工程师", "Other"),
    "environmental_impact_assessment_engineer": ("环境影响评价工程师", "Other"),
    "tax_accountant": ("税务师", "Other"),
    "physician": ("医师资格", "Other"),
}


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    question, choices = str(record["question"]), options_from_columns(record, "ABCD")
    metadata = {"explanation": record["explanation"]} if record.get("explanation") else {}
    metadata.update(
        verbatim_metadata(question=(question, question.strip()), choices=([str(record[k]) for k in "ABCD"], choices))
    )
    return Sample(
        id=str(record.get("id", index)),
        input=question.strip(),
        choices=choices,
        target=letter_of(record["answer"]),
        metadata=metadata,
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    name = SUBJECTS.get(sample.subset, (sample.subset.replace("_", " "), ""))[0]
    header = f"以下是中国关于{name}考试的单项选择题，请选出其中的正确答案。\n\n"
    return shots_then(zh_block, sample, ctx, header)


SPEC = mcq_spec(
    name="ceval",
    pretty_name="C-Eval",
    description="Chinese exam questions, 52 subjects in STEM / Social Science / Humanities / Other; val split.",
    tags=("knowledge", "mcq", "chinese"),
    dataset_id="modelscope/ceval-exam",
    hf_dataset_id="ceval/ceval-exam",
    subsets=tuple(SUBJECTS),
    eval_split="val",
    fewshot_split="dev",
    few_shot_num=0,
    max_few_shot=5,
    local_dir="ceval",
    local_patterns=("{split}/{subset}_{split}.csv",),
    record_to_sample=record_to_sample,
    format_query=es012.styled(format_query, es012.ceval_query),
    build_request=es012.build_request,
    category=lambda subset: (SUBJECTS[subset][1] if subset in SUBJECTS else "Other",),
)
