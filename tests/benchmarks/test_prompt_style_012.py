"""prompt_style evalscope-0.12: the exact requests EvalScope 0.12.0 built for arc, ceval, cmmlu,
mmlu, gsm8k and hellaswag, from real records of the shared datasets.

Every expected string below is a literal written from 0.12.0's adapters (benchmarks/*/*_adapter.py
`gen_prompt`), not computed by our code: the header, the few-shot layout and every space and
newline are the specification. The one 0.12 bug visible here and not reproduced: MMLU appended the
target question a second time right after `Answer:`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.serialization import ConfigError
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, RequestKind
from evalscope.run import run_task

STYLE = "evalscope-0.12"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mcq"

ARC_0_SHOT = (
    "Which statement best explains why photosynthesis is the foundation of most food webs?\n"
    "A. Sunlight is the source of energy for nearly all ecosystems.\n"
    "B. Most ecosystems are found on land instead of in water.\n"
    "C. Carbon dioxide is more available than other gases.\n"
    "D. The producers in all ecosystems are plants.\n"
    "Answer:"
)

ARC_1_SHOT = (
    "Which factor will most likely cause a person to develop a fever?\n"
    "A. a leg muscle relaxing after exercise\n"
    "B. a bacterial population in the bloodstream\n"
    "C. several viral particles on the skin\n"
    "D. carbohydrates being digested in the stomach\n"
    "Answer: B\n"
    "\n"
    "Which statement best explains why photosynthesis is the foundation of most food webs?\n"
    "A. Sunlight is the source of energy for nearly all ecosystems.\n"
    "B. Most ecosystems are found on land instead of in water.\n"
    "C. Carbon dioxide is more available than other gases.\n"
    "D. The producers in all ecosystems are plants.\n"
    "Answer:"
)

MMLU_5_SHOT = (
    "The following are multiple choice questions (with answers) about  world religions. \n"
    "What is the sign of the covenant for Jewish males?\n"
    "A. The rainbow\n"
    "B. Circumcision\n"
    "C. A son\n"
    "D. Bar mitzvah\n"
    "Answer: B\n"
    "\n"
    "\n"
    "What is the Second Gem in Buddhism?\n"
    "A. The Dharma\n"
    "B. The Sangha\n"
    "C. The Buddha\n"
    "D. The Bodhisattva\n"
    "Answer: A\n"
    "\n"
    "\n"
    " In which dynasty was the \"Mandate of Heaven\" developed to legitimatize the new rulers?\n"
    "A. Shang\n"
    "B. Zhou\n"
    "C. Han\n"
    "D. Xia\n"
    "Answer: B\n"
    "\n"
    "\n"
    " Which Japanese government promoted a kind of national cult based on the emperor and his associations with kami?\n"
    "A. Honen\n"
    "B. Tanaka\n"
    "C. Tokugawa\n"
    "D. Meiji\n"
    "Answer: D\n"
    "\n"
    "\n"
    "How can the Upanishads be characterized?\n"
    "A. Ritual texts\n"
    "B. Philosophical texts\n"
    "C. Hymns\n"
    "D. Origin stories\n"
    "Answer: B\n"
    "\n"
    "\n"
    " What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer:"
)

MMLU_0_SHOT = (
    "The following are multiple choice questions (with answers) about  world religions. \n"
    "What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer:"
)

CEVAL_0_SHOT = (
    "以下是中国关于艺术学考试的单项选择题，请选出其中的正确答案。\n"
    "问题：蓝印花布是一种传统的民间纺织印染工艺品。蓝印花布印制方法始于____。\n"
    "A. 汉代\n"
    "B. 魏晋时期\n"
    "C. 唐代\n"
    "D. 宋代\n"
    "答案: "
)

CEVAL_2_SHOT = (
    "以下是中国关于艺术学考试的单项选择题，请选出其中的正确答案。\n"
    "问题：王利发是老舍戏剧作品____中的主人公。\n"
    "A. 《茶馆》\n"
    "B. 《龙须沟》\n"
    "C. 《方珍珠》\n"
    "D. 《女店员》\n"
    "答案: A\n"
    "\n"
    "\n"
    "问题：《等待戈多》的作者是____。\n"
    "A. 加缪\n"
    "B. 贝克特\n"
    "C. 阿尔比\n"
    "D. 尤奈斯库\n"
    "答案: B问题：蓝印花布是一种传统的民间纺织印染工艺品。蓝印花布印制方法始于____。\n"
    "A. 汉代\n"
    "B. 魏晋时期\n"
    "C. 唐代\n"
    "D. 宋代\n"
    "答案: "
)

CMMLU_5_SHOT = (
    "以下是关于 elementary commonsense的单项选择题，请直接给出正确答案的选项。\n"
    "我们经常吃的洋葱是植物的哪一部分\n"
    "A. 茎\n"
    "B. 叶\n"
    "C. 根 \n"
    "D. 果实\n"
    "Answer: A\n"
    "\n"
    "\n"
    "世界上地势最低的国家是\n"
    "A. 土耳其\n"
    "B. 意大利\n"
    "C. 荷兰 \n"
    "D. 波兰\n"
    "Answer: C\n"
    "\n"
    "\n"
    "有“绿城” 之称的是\n"
    "A. 郑州\n"
    "B. 贵州\n"
    "C. 昆明\n"
    "D. 海口\n"
    "Answer: A\n"
    "\n"
    "\n"
    "世界上产玉米最多的国家是\n"
    "A. 法国\n"
    "B. 俄罗撕\n"
    "C. 中国\n"
    "D. 美国\n"
    "Answer: D\n"
    "\n"
    "\n"
    "交通事故报警电话号码是\n"
    "A. 110\n"
    "B. 119\n"
    "C. 120\n"
    "D. 122\n"
    "Answer: D\n"
    "\n"
    "\n"
    "我国古代“十八般武艺”中第十八是“白打”意思是\n"
    "A. 用白棒打\n"
    "B. 用白巾作武器\n"
    "C. 徒手搏斗\n"
    "D. 打空拳\n"
    "Answer:"
)

CMMLU_0_SHOT = (
    "以下是关于 elementary commonsense的单项选择题，请直接给出正确答案的选项。\n"
    "我国古代“十八般武艺”中第十八是“白打”意思是\n"
    "A. 用白棒打\n"
    "B. 用白巾作武器\n"
    "C. 徒手搏斗\n"
    "D. 打空拳\n"
    "Answer:"
)

GSM8K_4_SHOT = (
    "Question: Angelo and Melanie want to plan how many hours over the next week they should study together for their test next week. They have 2 chapters of their textbook to study and 4 worksheets to memorize. They figure out that they should dedicate 3 hours to each chapter of their textbook and 1.5 hours for each worksheet. If they plan to study no more than 4 hours each day, how many days should they plan to study total over the next week if they take a 10-minute break every hour, include 3 10-minute snack breaks each day, and 30 minutes for lunch each day?\n"
    "Let's think step by step\n"
    "Angelo and Melanie think they should dedicate 3 hours to each of the 2 chapters, 3 hours x 2 chapters = 6 hours total.\n"
    "For the worksheets they plan to dedicate 1.5 hours for each worksheet, 1.5 hours x 4 worksheets = 6 hours total.\n"
    "Angelo and Melanie need to start with planning 12 hours to study, at 4 hours a day, 12 / 4 = 3 days.\n"
    "However, they need to include time for breaks and lunch. Every hour they want to include a 10-minute break, so 12 total hours x 10 minutes = 120 extra minutes for breaks.\n"
    "They also want to include 3 10-minute snack breaks, 3 x 10 minutes = 30 minutes.\n"
    "And they want to include 30 minutes for lunch each day, so 120 minutes for breaks + 30 minutes for snack breaks + 30 minutes for lunch = 180 minutes, or 180 / 60 minutes per hour = 3 extra hours.\n"
    "So Angelo and Melanie want to plan 12 hours to study + 3 hours of breaks = 15 hours total.\n"
    "They want to study no more than 4 hours each day, 15 hours / 4 hours each day = 3.75\n"
    "They will need to plan to study 4 days to allow for all the time they need.\n"
    "The answer is 4\n"
    "\n"
    "Question: Mark's basketball team scores 25 2 pointers, 8 3 pointers and 10 free throws.  Their opponents score double the 2 pointers but half the 3 pointers and free throws.  What's the total number of points scored by both teams added together?\n"
    "Let's think step by step\n"
    "Mark's team scores 25 2 pointers, meaning they scored 25*2= 50 points in 2 pointers.\n"
    "His team also scores 6 3 pointers, meaning they scored 8*3= 24 points in 3 pointers\n"
    "They scored 10 free throws, and free throws count as one point so they scored 10*1=10 points in free throws.\n"
    "All together his team scored 50+24+10= 84 points\n"
    "Mark's opponents scored double his team's number of 2 pointers, meaning they scored 50*2=100 points in 2 pointers.\n"
    "His opponents scored half his team's number of 3 pointers, meaning they scored 24/2= 12 points in 3 pointers.\n"
    "They also scored half Mark's team's points in free throws, meaning they scored 10/2=5 points in free throws.\n"
    "All together Mark's opponents scored 100+12+5=117 points\n"
    "The total score for the game is both team's scores added together, so it is 84+117=201 points\n"
    "The answer is 201\n"
    "\n"
    "Question: Bella has two times as many marbles as frisbees. She also has 20 more frisbees than deck cards. If she buys 2/5 times more of each item, what would be the total number of the items she will have if she currently has 60 marbles?\n"
    "Let's think step by step\n"
    "When Bella buys 2/5 times more marbles, she'll have increased the number of marbles by 2/5*60 = 24\n"
    "The total number of marbles she'll have is 60+24 = 84\n"
    "If Bella currently has 60 marbles, and she has two times as many marbles as frisbees, she has 60/2 = 30 frisbees.\n"
    "If Bella buys 2/5 times more frisbees, she'll have 2/5*30 = 12 more frisbees.\n"
    "The total number of frisbees she'll have will increase to 30+12 = 42\n"
    "Bella also has 20 more frisbees than deck cards, meaning she has 30-20 = 10 deck cards\n"
    "If she buys 2/5 times more deck cards, she'll have 2/5*10 = 4 more deck cards.\n"
    "The total number of deck cards she'll have is 10+4 = 14\n"
    "Together, Bella will have a total of 14+42+84 = 140 items\n"
    "The answer is 140\n"
    "\n"
    "Question: A group of 4 fruit baskets contains 9 apples, 15 oranges, and 14 bananas in the first three baskets and 2 less of each fruit in the fourth basket. How many fruits are there?\n"
    "Let's think step by step\n"
    "For the first three baskets, the number of apples and oranges in one basket is 9+15=24\n"
    "In total, together with bananas, the number of fruits in one basket is 24+14=38 for the first three baskets.\n"
    "Since there are three baskets each having 38 fruits, there are 3*38=114 fruits in the first three baskets.\n"
    "The number of apples in the fourth basket is 9-2=7\n"
    "There are also 15-2=13 oranges in the fourth basket\n"
    "The combined number of oranges and apples in the fourth basket is 13+7=20\n"
    "The fourth basket also contains 14-2=12 bananas.\n"
    "In total, the fourth basket has 20+12=32 fruits.\n"
    "The four baskets together have 32+114=146 fruits.\n"
    "The answer is 146\n"
    "\n"
    "Question: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\n"
    "Let's think step by step\n"
    "Answer:"
)

GSM8K_0_SHOT = (
    "Question: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\n"
    "Let's think step by step\n"
    "Answer:"
)

# HellaSwag (continuation): 0.12's cleaned context, stripped, and " " + each cleaned ending
HELLASWAG_0_CONTEXT = "Roof shingle removal: A man is sitting on a roof. he"
HELLASWAG_0_ENDINGS = [
    " is using wrap to wrap a pair of skis.",
    " is ripping level tiles off.",
    " is holding a rubik's cube.",
    " starts pulling up roofing on a roof.",
]
# record 3505 keeps a `[www.kiddio.org]` tag in the shared file; 0.12's clean-up drops it and one space
HELLASWAG_3505_CONTEXT = (
    "Family Life: How to entertain a toddler. Ask the toddler what he or she would like to do instead of doing"
    " what you would like to do.. Visit a site like to find loads of creative activities for toddlers and"
    " preschoolers.. Choose small, simple games like candy land or chutes and ladders."
)
# hub form (activity_label, ctx_a, ctx_b): `label: ctx_a Ctx_b`; ` [title]` becomes `. `, then one space
HELLASWAG_HUB_CONTEXT = "Making a sandwich: A woman places two slices of bread on a plate. She"
HELLASWAG_HUB_ENDINGS = [
    " spreads peanut butter on one slice.",
    " throws the plate out of the window.",
    " starts to swim in the pool.",
    " paints the bread. blue.",
]


def task_and_samples(name, dataset_dir, *, subset=None, few=None, mode=None, local=None, style=STYLE, limit=1,
                     global_style="default"):
    args = DatasetArgs(
        prompt_style=style, few_shot_num=few, output_type=mode, subset_list=[subset] if subset else None,
        local_path=str(FIXTURES / local) if local else None,
    )
    task = build_task(get_benchmark(name), args=args, capabilities=frozenset(RequestKind), generation_config=None,
                      seed=42, prompt_style=global_style)
    return task, load_samples(task, DatasetLoader(str(dataset_dir)), args, limit)


def first_request(name, dataset_dir, **kwargs) -> ModelRequest:
    task, samples = task_and_samples(name, dataset_dir, **kwargs)
    return task.build_request(samples[0])


# (benchmark, subset, few_shot_num (None: the benchmark's default, as in 0.12), expected prompt)
MULTIPLE_CHOICE = [
    ("arc", "ARC-Easy", None, ARC_0_SHOT),
    ("arc", "ARC-Easy", 1, ARC_1_SHOT),
    ("mmlu", "world_religions", None, MMLU_5_SHOT),
    ("mmlu", "world_religions", 0, MMLU_0_SHOT),
    ("ceval", "art_studies", None, CEVAL_0_SHOT),
    ("ceval", "art_studies", 2, CEVAL_2_SHOT),
    ("cmmlu", "elementary_commonsense", None, CMMLU_5_SHOT),
    ("cmmlu", "elementary_commonsense", 0, CMMLU_0_SHOT),
]


@pytest.mark.parametrize(("name", "subset", "few", "expected"), MULTIPLE_CHOICE,
                         ids=[f"{c[0]}-{'default' if c[2] is None else c[2]}-shot" for c in MULTIPLE_CHOICE])
def test_multiple_choice_request_is_the_raw_012_prompt_read_by_the_bare_letter(name, subset, few, expected, dataset_dir):
    request = first_request(name, dataset_dir, subset=subset, few=few)
    assert request.kind is RequestKind.CHOICE_PROBS
    assert request.messages is None  # no chat template: the text goes to the model as it is
    assert request.prompt == expected
    assert request.choices == ["A", "B", "C", "D"]
    assert request.letter_rule == "bare"


@pytest.mark.parametrize(("few", "expected"), [(None, GSM8K_4_SHOT), (0, GSM8K_0_SHOT)], ids=["4-shot", "0-shot"])
def test_gsm8k_prompt_has_the_fixed_012_exemplars(few, expected, dataset_dir):
    request = first_request("gsm8k", dataset_dir, few=few)
    assert request.kind is RequestKind.GENERATE
    assert request.messages == [ChatMessage("user", expected)]  # generation: one user turn, chat template applies


def test_gsm8k_asks_for_more_exemplars_than_012_had(dataset_dir):
    with pytest.raises(ConfigError, match="few_shot_num.*4 fixed exemplars"):
        first_request("gsm8k", dataset_dir, few=5)


def test_generation_mode_sends_the_same_text_in_a_user_turn(dataset_dir):
    """0.12 sent a service the very prompt its local mode scored, as the user message."""
    request = first_request("mmlu", dataset_dir, subset="world_religions", mode="generation")
    assert request.kind is RequestKind.GENERATE
    assert request.messages == [ChatMessage("user", MMLU_5_SHOT)]


def test_hellaswag_continuations(dataset_dir):
    task, samples = task_and_samples("hellaswag", dataset_dir, limit=3506)
    first, tagged = task.build_request(samples[0]), task.build_request(samples[3505])
    assert first.kind is RequestKind.LOGLIKELIHOOD and first.messages is None
    assert (first.prompt, first.choices) == (HELLASWAG_0_CONTEXT, HELLASWAG_0_ENDINGS)
    assert tagged.prompt == HELLASWAG_3505_CONTEXT
    hub = first_request("hellaswag", dataset_dir, local="hellaswag")
    assert (hub.prompt, hub.choices) == (HELLASWAG_HUB_CONTEXT, HELLASWAG_HUB_ENDINGS)


def test_hellaswag_pick_divides_by_the_012_ending_length(dataset_dir):
    """0.12 ranked endings by log-likelihood per character of the cleaned ending (lengths 35, 35, 27, 23)."""
    task, samples = task_and_samples("hellaswag", dataset_dir, local="hellaswag")
    # per character: -0.50, -0.60, -0.40, -0.45 -> C, although D has the best total
    scores = [-17.5, -21.0, -10.8, -10.35]
    assert task.predict(samples[0], ModelOutput(scores=scores)) == (None, "C")


def test_default_style_is_unchanged(dataset_dir):
    request = first_request("mmlu", dataset_dir, subset="world_religions", style=None)
    assert request.prompt is None and request.letter_rule == "sum"
    text = request.messages[-1].content
    assert text.startswith("The following are multiple choice questions (with answers) about world religions.\n\n")
    assert text != MMLU_5_SHOT


def test_global_style_and_per_dataset_override(dataset_dir):
    # the run's style reaches a dataset without its own
    request = first_request("ceval", dataset_dir, subset="art_studies", style=None, global_style=STYLE)
    assert request.prompt == CEVAL_0_SHOT
    # a dataset's own style wins over the run's, both ways
    request = first_request("ceval", dataset_dir, subset="art_studies", style="default", global_style=STYLE)
    assert request.prompt is None and request.messages[-1].content != CEVAL_0_SHOT
    request = first_request("ceval", dataset_dir, subset="art_studies", style=STYLE, global_style="default")
    assert request.prompt == CEVAL_0_SHOT


def test_letter_rule_joins_the_cache_key_only_when_not_the_default():
    prompt = "Q?\nA. x\nB. y\nAnswer:"
    summed = ModelRequest(RequestKind.CHOICE_PROBS, prompt=prompt, choices=["A", "B"])
    # the key this request had before `letter_rule` existed: earlier runs still resume
    assert summed.cache_key() == "ce0dd860c227bd19"
    bare = ModelRequest(RequestKind.CHOICE_PROBS, prompt=prompt, choices=["A", "B"], letter_rule="bare")
    assert bare.cache_key() != summed.cache_key()


class RecordingMock(MockModelAPI):
    """The mock model, keeping every request it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests: list[ModelRequest] = []

    async def call(self, requests):
        self.requests.extend(requests)
        return await super().call(requests)


def test_run_task_global_style_with_a_per_dataset_exception(dataset_dir, tmp_path):
    model = RecordingMock("mock")
    cfg = {
        "model": "mock", "eval_type": "mock", "prompt_style": STYLE, "limit": 1,
        "datasets": ["mmlu", "ceval"], "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path),
        "no_timestamp": True, "store": "workdir",
        "dataset_args": {
            "mmlu": {"subset_list": ["world_religions"]},
            "ceval": {"subset_list": ["art_studies"], "prompt_style": "default"},
        },
    }
    reports = run_task(cfg, model=model, print_table=False)
    assert reports["mmlu"].metrics[0].num == 1 and reports["ceval"].metrics[0].num == 1
    mmlu, ceval = model.requests
    assert (mmlu.prompt, mmlu.messages, mmlu.letter_rule) == (MMLU_5_SHOT, None, "bare")
    assert ceval.prompt is None and ceval.letter_rule == "sum"
    assert ceval.messages[-1].content.startswith("以下是中国关于艺术学考试的单项选择题，请选出其中的正确答案。\n\n问题：")


def test_cli_flag_reaches_the_run(dataset_dir, tmp_path):
    from click.testing import CliRunner

    from evalscope.cli.eval_cmd import eval_command

    result = CliRunner().invoke(eval_command, [
        "--model", "mock", "--eval-type", "mock", "--prompt-style", STYLE, "--datasets", "ceval",
        "--dataset-args", '{"ceval": {"subset_list": ["art_studies"]}}', "--limit", "1",
        "--dataset-dir", str(dataset_dir), "--work-dir", str(tmp_path), "--no-timestamp",
    ])
    assert result.exit_code == 0, result.output
    (config,) = (tmp_path / "configs").glob("task_config_*.yaml")
    assert "prompt_style: evalscope-0.12" in config.read_text(encoding="utf-8")
