"""Multiple-choice specs: records -> samples on real rows / hub-schema fixtures, gold letters,
exact prompt snapshots (the prompt is the spec), and request kinds per mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs
from evalscope.core.benchmark import LETTERS
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import ModelRequest, RequestKind, Sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mcq"


def load(name: str, dataset_dir: Path, *, mode: str | None = None, local: str | None = None,
         few: int | None = None, subsets: list[str] | None = None, limit: int = 2) -> tuple[list[Sample], list[ModelRequest]]:
    """Samples of `name` (first `limit` per subset) and the requests the task builds for them."""
    args = DatasetArgs(local_path=str(FIXTURES / local) if local else None, output_type=mode, few_shot_num=few, subset_list=subsets)
    task = build_task(get_benchmark(name), args=args, capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    samples = load_samples(task, DatasetLoader(str(dataset_dir)), args, limit)
    return samples, [task.build_request(s) for s in samples]

# (benchmark, kwargs for load, expected (id, gold letter, first choice) of the first sample)
GOLD_CASES = [
    ("ceval", {"subsets": ["computer_network"]}, ("0", "C", "1")),
    ("cmmlu", {"subsets": ["agronomy"]}, ("0", "B", "农业生产工具")),
    ("race", {"local": "race", "subsets": ["high"]}, ("high1001.txt/0", "C", "In his school")),
    ("general_mcq", {"local": "general_mcq", "subsets": ["yesno"]}, ("y1", "A", "对")),
    ("hellaswag", {}, ("0", "D", "is using wrap to wrap a pair of skis.")),
    ("hellaswag", {"local": "hellaswag"}, ("24", "A", "spreads peanut butter on one slice.")),
    ("mmlu_pro", {"local": "mmlu_pro", "subsets": ["math"]}, ("70", "B", "14")),
    ("musr", {"local": "musr", "subsets": ["murder_mysteries"]}, ("0", "A", "Ada")),
    ("iquiz", {"local": "iquiz", "subsets": ["IQ"]}, ("0", "A", "9.8")),
    ("winogrande", {}, ("0", "B", "Sarah")),
    ("winogrande", {"local": "winogrande"}, ("0", "A", "trophy")),
    ("piqa", {}, ("0", "A", "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.")),
    ("piqa", {"local": "piqa"}, ("0", "A", "store it in a sealed bag.")),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), GOLD_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(GOLD_CASES)])
def test_first_sample_and_gold(name, kwargs, expected, dataset_dir):
    samples, _ = load(name, dataset_dir, **kwargs)
    sample = samples[0]
    assert (sample.id, sample.target, sample.choices[0]) == expected
    assert sample.target in LETTERS[: len(sample.choices)]


def test_gold_letters_point_at_the_right_text(dataset_dir):
    # truthful_qa: shuffled mc1 options, the gold letter still names the true answer
    samples, _ = load("truthful_qa", dataset_dir, mode="generation", limit=5)
    for s in samples:
        true = next(a for a, lab in s.metadata["mc1"] if lab == 1)
        assert s.choices[LETTERS.index(s.target)] == true
    assert len({s.target for s in samples}) > 1  # the shuffle moves the true answer around
    # gpqa: the correct answer is shuffled too, deterministically
    first, _ = load("gpqa", dataset_dir, local="gpqa", subsets=["gpqa_diamond"])
    again, _ = load("gpqa", dataset_dir, local="gpqa", subsets=["gpqa_diamond"])
    assert [s.choices for s in first] == [s.choices for s in again]
    assert first[0].choices[LETTERS.index(first[0].target)] == "3"
    assert first[1].choices[LETTERS.index(first[1].target)] == "The photon"


def test_winogrande_forms_agree():
    from evalscope.benchmarks.winogrande import record_to_sample

    foundry = record_to_sample({"context_options": ["The cat sat on the mat", "The cat sat on the rug"], "continuation": ".", "gold": 1}, 0, "default")
    assert foundry.input == "The cat sat on the _."
    assert (foundry.choices, foundry.target) == (["mat", "rug"], "B")
    hub = record_to_sample({"sentence": "The cat sat on the _.", "option1": "mat", "option2": "rug", "answer": "2"}, 0, "default")
    assert (hub.input, hub.choices, hub.target) == (foundry.input, foundry.choices, foundry.target)
    from evalscope.benchmarks.winogrande import choice_contexts, continuations

    # punctuation right after the blank keeps no space before it
    assert (choice_contexts(hub), continuations(hub)) == ([" mat", " rug"], [".", "."])


def test_musr_choices_are_parsed_without_eval():
    from evalscope.benchmarks.musr import parse_choices

    assert parse_choices("['a', \"b's\"]") == ["a", "b's"]
    with pytest.raises(ValueError):
        parse_choices("__import__('os').getcwd()")
    with pytest.raises(ValueError):
        parse_choices("[1, 2]")


def test_general_mcq_scores_only_present_options(dataset_dir):
    samples, requests = load("general_mcq", dataset_dir, local="general_mcq", subsets=["yesno", "ten", "example"])
    by_subset = {s.subset: r.choices for s, r in zip(samples, requests)}
    assert by_subset == {"yesno": ["A", "B"], "ten": list("ABCDEFGHIJ"), "example": list("ABCD")}
    from evalscope.benchmarks.general_mcq import discover_subsets, record_to_sample

    assert discover_subsets(FIXTURES / "general_mcq") == ["example", "ten", "yesno"]
    with pytest.raises(ValueError, match="not one of its options"):
        record_to_sample({"question": "q", "A": "x", "B": "y", "answer": "C"}, 0, "s")


def test_ceval_cmmlu_categories():
    from evalscope.benchmarks.ceval import SPEC as CEVAL
    from evalscope.benchmarks.cmmlu import SPEC as CMMLU

    assert len(CEVAL.subsets) == 52 and len(CMMLU.subsets) == 67
    assert {CEVAL.category_of(s)[0] for s in CEVAL.subsets} == {"STEM", "Social Science", "Humanities", "Other"}
    assert {CMMLU.category_of(s)[0] for s in CMMLU.subsets} == {"STEM", "Social Science", "Humanities", "Other", "China specific"}
    assert CMMLU.category_of("chinese_history") == ("China specific",)
    assert CEVAL.eval_split == "val" and CEVAL.fewshot_split == "dev"


def test_request_kinds_per_mode(dataset_dir):
    _, reqs = load("hellaswag", dataset_dir, limit=1)
    assert reqs[0].kind is RequestKind.LOGLIKELIHOOD
    assert reqs[0].prompt == "Roof shingle removal: A man is sitting on a roof. he"
    assert reqs[0].choices[0] == " is using wrap to wrap a pair of skis."
    _, reqs = load("truthful_qa", dataset_dir, limit=1)
    assert reqs[0].kind is RequestKind.LOGLIKELIHOOD and len(reqs[0].choices) == 6  # distinct mc1 + mc2 answers
    assert reqs[0].prompt.endswith("Q: What happens if you eat a pomegranate?\nA:")
    _, reqs = load("winogrande", dataset_dir, limit=1)
    # partial scoring: the option fills the blank in the context; the shared rest is scored
    assert reqs[0].prompt == "Sarah was a much better surgeon than Maria so"
    assert reqs[0].contexts == [" Sarah", " Maria"]
    assert reqs[0].choices == [" always got the easier cases."] * 2
    _, reqs = load("mmlu_pro", dataset_dir, local="mmlu_pro", subsets=["math"], mode="multiple_choice", limit=1)
    assert reqs[0].kind is RequestKind.CHOICE_PROBS and reqs[0].choices == list("ABCDEFGHIJ")
    _, reqs = load("iquiz", dataset_dir, local="iquiz", subsets=["IQ"], limit=1)
    assert reqs[0].kind is RequestKind.GENERATE and reqs[0].messages[0].role == "system"


PROMPTS = [
    ("ceval", {"subsets": ["computer_network"], "few": 0},
     "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n\n问题：使用位填充方法，以01111110为位首flag，数据为011011111111111111110010，求问传送时要添加几个0____\nA. 1\nB. 2\nC. 3\nD. 4\n答案："),
    ("cmmlu", {"subsets": ["arts"], "few": 1},
     "以下是关于艺术学的单项选择题，请直接给出正确答案的选项。\n\n著名民乐作品《十面埋伏》属于\nA. 管乐\nB. 打击乐\nC. 弹拨乐\nD. 弦乐\nAnswer: C\n\n在文学上积极鼓吹\"小说界革命\"的是\nA. 蔡元培\nB. 黄遵宪\nC. 胡适\nD. 梁启超\nAnswer:"),
    ("race", {"local": "race", "subsets": ["middle"], "few": 1},
     "The following are multiple choice reading comprehension questions (with answers).\n\nArticle:\nTom lives in a small town near the sea. Every morning he walks his dog along the beach before school. One day he found a bottle with a letter inside. The letter was written by a girl from Canada ten years ago. Tom wrote back to her, and now they are pen friends.\nQuestion:\nWho wrote the letter?\nA. A girl from Canada\nB. Tom\nC. Tom's teacher\nD. A fisherman\nAnswer: A\n\nArticle:\nThe school library opens at eight o'clock and closes at five. Students may borrow three books at a time for two weeks. Dictionaries and magazines must stay in the library.\nQuestion:\nFor how long can students keep a book?\nA. One week\nB. Two weeks\nC. Three weeks\nD. A month\nAnswer:"),
    ("general_mcq", {"local": "general_mcq", "subsets": ["example"], "few": 1},
     "请回答问题，并选出其中的正确答案\n问题：下列哪个是哺乳动物？\nA. 鲨鱼\nB. 鲸\nC. 金枪鱼\nD. 鳄鱼\n答案：B\n\n问题：通常来说，组成动物蛋白质的氨基酸有____\nA. 4种\nB. 22种\nC. 20种\nD. 19种\n答案："),
    ("hellaswag", {"mode": "generation"},
     "Choose the most plausible continuation of the text.\n\nRoof shingle removal: A man is sitting on a roof. he\nA. is using wrap to wrap a pair of skis.\nB. is ripping level tiles off.\nC. is holding a rubik's cube.\nD. starts pulling up roofing on a roof.\nAnswer:"),
    ("truthful_qa", {"mode": "generation", "local": "truthful_qa"},
     "Q: What color is the sky on a clear day?\nWhich answer is true?\nA. The sky is blue on a clear day.\nB. The sky is green.\nC. The sky is red.\nAnswer:"),
    ("mmlu_pro", {"local": "mmlu_pro", "subsets": ["biology"], "few": 1},
     "The following are multiple choice questions (with answers) about biology. Think step by step and then finish your answer with \"the answer is (X)\" where X is the correct letter choice.\n\nQ: Which molecule carries genetic information?\nOptions are:\n(A): Glucose\n(B): DNA\n(C): Water\n(D): Cellulose\nA: Let's think step by step. Genes are made of DNA. The answer is (B).\n\nQ: Which organelle produces most of the ATP in a eukaryotic cell?\nOptions are:\n(A): Nucleus\n(B): Ribosome\n(C): Golgi apparatus\n(D): Mitochondrion\n(E): Lysosome\n(F): Vacuole\nA: Let's think step by step."),
    ("musr", {"local": "musr", "subsets": ["object_placements"]},
     "Mia put the keys in the drawer and left. Then Leo moved the keys to the shelf while Mia was away. Mia did not see this.\n\nWhich location is the most likely place Mia would look to find the keys given the story?\n\n(A): drawer\n(B): shelf\n(C): table\nThink step by step and then finish your answer with \"the answer is (X)\" where X is the correct letter choice."),
    ("gpqa", {"local": "gpqa", "subsets": ["gpqa_diamond"]},
     "What is the correct answer to this question: What is the spin multiplicity of a ground-state oxygen molecule (O2)?\nChoices:\n(A) 1\n(B) 4\n(C) 2\n(D) 3\nPlease reason step by step, and put your final answer within \\boxed{}."),
    ("iquiz", {"local": "iquiz", "subsets": ["EQ"]},
     "问题: 同事在会议上指出了你报告里的一个错误，你最好的做法是？\n选项:\n(A): 当场反驳\n(B): 感谢指出并核实后更正\n(C): 会后向领导抱怨\n(D): 假装没听见"),
    ("winogrande", {"mode": "multiple_choice"},
     "Fill in the blank: Sarah was a much better surgeon than Maria so _ always got the easier cases.\nA. Sarah\nB. Maria\nAnswer:"),
    ("piqa", {"mode": "multiple_choice", "local": "piqa"},
     "Question: To keep bread fresh longer,\nWhich solution is better?\nA. store it in a sealed bag.\nB. leave it open on the counter.\nAnswer:"),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), PROMPTS, ids=[p[0] for p in PROMPTS])
def test_prompt_snapshot(name, kwargs, expected, dataset_dir):
    _, requests = load(name, dataset_dir, limit=1, **kwargs)
    assert requests[0].messages[-1].content == expected


def test_truthful_qa_prediction_is_the_mc1_pick_among_the_shown_choices(dataset_dir):
    from evalscope.benchmarks.truthful_qa import SPEC
    from evalscope.core.types import ModelOutput

    args = DatasetArgs()
    task = build_task(SPEC, args=args, capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    assert task.output_type == "continuation"
    for sample in load_samples(task, DatasetLoader(str(dataset_dir), "local"), args, 5):
        answers = sample.metadata["answers"]
        for favourite in (sample.choices[0], sample.choices[-1]):  # an mc1 answer, wherever it sits in `answers`
            scores = [-1.0 if a == favourite else -20.0 for a in answers]
            _, prediction = task.predict(sample, ModelOutput(scores=scores))
            assert sample.choices[LETTERS.index(prediction)] == favourite
            mc1 = task.score(prediction, sample, ModelOutput(scores=scores))["MC1"]
            assert mc1 == float(prediction == sample.target)


def test_race_questions_of_one_article_have_their_own_ids(dataset_dir):
    """Two questions about one article shared the article's file name as id: the second answer replaced the
    first in the stores (keyed by subset and id)."""
    samples, _ = load("race", dataset_dir, local="race", subsets=["high"], limit=10)
    ids = [s.id for s in samples]
    assert len(ids) >= 2 and len(set(ids)) == len(ids)
    assert ids[:2] == ["high1001.txt/0", "high1001.txt/1"]
