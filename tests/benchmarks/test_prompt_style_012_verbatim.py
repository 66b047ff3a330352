"""prompt_style evalscope-0.12-verbatim: EvalScope 0.12.0's prompts with its prompt bugs, from real
records of the shared datasets.

Every expected string is a literal written from 0.12.0's adapters (`gen_prompt` of
benchmarks/mmlu/mmlu_adapter.py and benchmarks/arc/arc_adapter.py): MMLU's query is the stripped
context followed by the target block again (`context.strip() + self._generate_prompt(input_d)`), so
the question follows the final `Answer:` with nothing between (a leading space of the question is the
only separator); ARC writes `label + '. ' + text` with the data's labels and ` {answerKey}` after an
example's `Answer:`, and scores the letters A-D against the answerKey as written.
"""

from __future__ import annotations

import json

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs, TaskConfig
from evalscope.core.prompt_styles import prompt_style_names
from evalscope.core.serialization import ConfigError
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import ChatMessage, ModelOutput, RequestKind

STYLE = "evalscope-0.12-verbatim"

MMLU_WR_HEADER = "The following are multiple choice questions (with answers) about  world religions. \n"
MMLU_WR_SHOTS = (
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
    ' In which dynasty was the "Mandate of Heaven" developed to legitimatize the new rulers?\n'
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
)

# world_religions test item 0 (the question has a leading space in the file), 5-shot: 0.12's origin_prompt
MMLU_WR0_5_SHOT = (
    MMLU_WR_HEADER
    + MMLU_WR_SHOTS
    + " What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer: What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer:"
)

# the same item 0-shot: the strip takes the question's leading space from the first copy only
MMLU_WR0_0_SHOT = (
    "The following are multiple choice questions (with answers) about  world religions. \n"
    "What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer: What can murtis be translated as?\n"
    "A. Offerings\n"
    "B. Prayers\n"
    "C. Apparitions\n"
    "D. Idols\n"
    "Answer:"
)

# world_religions test item 4 has no leading space: `Answer:Which…`
MMLU_WR4_0_SHOT = (
    "The following are multiple choice questions (with answers) about  world religions. \n"
    "Which of the following terms denote the Japanese art of flower arranging?\n"
    "A. Zazen\n"
    "B. Tariki\n"
    "C. Kami\n"
    "D. Ikebana\n"
    "Answer:Which of the following terms denote the Japanese art of flower arranging?\n"
    "A. Zazen\n"
    "B. Tariki\n"
    "C. Kami\n"
    "D. Ikebana\n"
    "Answer:"
)

MMLU_AA0_5_SHOT = (
    "The following are multiple choice questions (with answers) about  abstract algebra. \n"
    "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\n"
    "A. 0\n"
    "B. 1\n"
    "C. 2\n"
    "D. 3\n"
    "Answer: B\n"
    "\n"
    "\n"
    "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.\n"
    "A. True, True\n"
    "B. False, False\n"
    "C. True, False\n"
    "D. False, True\n"
    "Answer: B\n"
    "\n"
    "\n"
    "Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The symmetric group S_10 has 10 elements.\n"
    "A. True, True\n"
    "B. False, False\n"
    "C. True, False\n"
    "D. False, True\n"
    "Answer: C\n"
    "\n"
    "\n"
    "Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every subgroup of an abelian group is abelian.\n"
    "A. True, True\n"
    "B. False, False\n"
    "C. True, False\n"
    "D. False, True\n"
    "Answer: A\n"
    "\n"
    "\n"
    "Find the characteristic of the ring 2Z.\n"
    "A. 0\n"
    "B. 3\n"
    "C. 12\n"
    "D. 30\n"
    "Answer: A\n"
    "\n"
    "\n"
    "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
    "A. 0\n"
    "B. 4\n"
    "C. 2\n"
    "D. 6\n"
    "Answer:Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
    "A. 0\n"
    "B. 4\n"
    "C. 2\n"
    "D. 6\n"
    "Answer:"
)

# ARC-Easy test item 14 (NYSEDREGENTS_2015_8_28) labels its options 1-4, answerKey "2"
ARC_NUMERIC_0_SHOT = (
    "All living and nonliving material is composed of\n"
    "1. air\n"
    "2. elements\n"
    "3. water\n"
    "4. soil\n"
    "Answer:"
)

# the same item 5-shot: train item 4 (NYSEDREGENTS_2006_8_10) is labelled 1-4 too, its answer `3`
ARC_NUMERIC_5_SHOT = (
    "Which factor will most likely cause a person to develop a fever?\n"
    "A. a leg muscle relaxing after exercise\n"
    "B. a bacterial population in the bloodstream\n"
    "C. several viral particles on the skin\n"
    "D. carbohydrates being digested in the stomach\n"
    "Answer: B\n"
    "\n"
    "\n"
    "Lichens are symbiotic organisms made of green algae and fungi. What do the green algae supply to the fungi in this symbiotic relationship?\n"
    "A. carbon dioxide\n"
    "B. food\n"
    "C. protection\n"
    "D. water\n"
    "Answer: B\n"
    "\n"
    "\n"
    "When a switch is used in an electrical circuit, the switch can\n"
    "A. cause the charge to build.\n"
    "B. increase and decrease the voltage.\n"
    "C. cause the current to change direction.\n"
    "D. stop and start the flow of current.\n"
    "Answer: D\n"
    "\n"
    "\n"
    "Which of the following is an example of an assistive device?\n"
    "A. contact lens\n"
    "B. motorcycle\n"
    "C. raincoat\n"
    "D. coffee pot\n"
    "Answer: A\n"
    "\n"
    "\n"
    "Rocks are classified as igneous, metamorphic, or sedimentary according to\n"
    "1. their color\n"
    "2. their shape\n"
    "3. how they formed\n"
    "4. the minerals they contain\n"
    "Answer: 3\n"
    "\n"
    "All living and nonliving material is composed of\n"
    "1. air\n"
    "2. elements\n"
    "3. water\n"
    "4. soil\n"
    "Answer:"
)


def task_and_samples(name, dataset_dir, *, subset, few=None, mode=None, style=STYLE, limit=1, system_prompt=None):
    args = DatasetArgs(
        prompt_style=style, few_shot_num=few, output_type=mode, subset_list=[subset] if subset else None,
        system_prompt=system_prompt,
    )
    task = build_task(get_benchmark(name), args=args, capabilities=frozenset(RequestKind), generation_config=None,
                      seed=42)
    return task, load_samples(task, DatasetLoader(str(dataset_dir)), args, limit)


MMLU = [
    ("world_religions", None, 0, MMLU_WR0_5_SHOT),
    ("world_religions", 0, 0, MMLU_WR0_0_SHOT),
    ("world_religions", 0, 4, MMLU_WR4_0_SHOT),
    ("abstract_algebra", None, 0, MMLU_AA0_5_SHOT),
]


@pytest.mark.parametrize(("subset", "few", "index", "expected"), MMLU,
                         ids=["world_religions-0-5shot", "world_religions-0-0shot", "world_religions-4-0shot",
                              "abstract_algebra-0-5shot"])
def test_mmlu_prompt_is_012_origin_prompt_with_the_question_twice(subset, few, index, expected, dataset_dir):
    task, samples = task_and_samples("mmlu", dataset_dir, subset=subset, few=few, limit=index + 1)
    request = task.build_request(samples[index])
    assert request.kind is RequestKind.CHOICE_PROBS and request.messages is None
    assert request.prompt == expected
    assert (request.choices, request.letter_rule) == (["A", "B", "C", "D"], "bare")


def test_mmlu_012_style_still_writes_the_question_once(dataset_dir):
    task, samples = task_and_samples("mmlu", dataset_dir, subset="world_religions", few=0, style="evalscope-0.12")
    assert task.build_request(samples[0]).prompt == MMLU_WR0_0_SHOT[: MMLU_WR0_0_SHOT.index(" What can")]


def test_mmlu_generation_mode_sends_the_verbatim_text_as_the_user_turn(dataset_dir):
    task, samples = task_and_samples("mmlu", dataset_dir, subset="world_religions", mode="generation")
    assert task.build_request(samples[0]).messages == [ChatMessage("user", MMLU_WR0_5_SHOT)]


@pytest.mark.parametrize(("few", "expected"), [(None, ARC_NUMERIC_0_SHOT), (5, ARC_NUMERIC_5_SHOT)],
                         ids=["0-shot", "5-shot"])
def test_arc_numeric_labels_as_012_rendered_them(few, expected, dataset_dir):
    task, samples = task_and_samples("arc", dataset_dir, subset="ARC-Easy", few=few, limit=15)
    sample = samples[14]
    assert sample.id == "NYSEDREGENTS_2015_8_28"
    request = task.build_request(sample)
    assert request.prompt == expected
    assert request.choices == ["A", "B", "C", "D"]
    assert sample.target == "2"  # the gold answer as 0.12 compared it


def test_arc_numeric_item_can_never_be_right(dataset_dir):
    """0.12 compared the picked letter with the gold `2`: the option `2. elements` picked is still wrong."""
    best_second = ModelOutput(scores=[0.1, 0.7, 0.1, 0.1])
    task, samples = task_and_samples("arc", dataset_dir, subset="ARC-Easy", limit=15)
    _, prediction = task.predict(samples[14], best_second)
    assert prediction == "B"
    assert task.score(prediction, samples[14], best_second) == {"AverageAccuracy": 0.0}
    # the 0.12 style letters the options and maps the gold answer: the same pick is right there
    fixed, fixed_samples = task_and_samples("arc", dataset_dir, subset="ARC-Easy", limit=15, style="evalscope-0.12")
    assert fixed.build_request(fixed_samples[14]).prompt.startswith("All living and nonliving material is composed of\nA. air\n")
    assert fixed.score(fixed.predict(fixed_samples[14], best_second)[1], fixed_samples[14], best_second) == {
        "AverageAccuracy": 1.0
    }


def test_arc_always_asks_a_to_d(dataset_dir):
    """0.12 scored A-D whatever the number of options: a 3-option item (93) can be answered D, a
    5-option item's E (500) is shown but never asked for."""
    task, samples = task_and_samples("arc", dataset_dir, subset="ARC-Easy", limit=501)
    three, five = task.build_request(samples[93]), task.build_request(samples[500])
    assert three.choices == five.choices == ["A", "B", "C", "D"]
    assert five.prompt.endswith("\nD. hydrogen\nE. water vapor\nAnswer:")
    assert task.predict(samples[93], ModelOutput(scores=[0.1, 0.1, 0.1, 0.7]))[1] == "D"


def test_arc_generation_reads_only_a_to_d(dataset_dir):
    task, samples = task_and_samples("arc", dataset_dir, subset="ARC-Easy", mode="generation", limit=501)
    assert task.predict(samples[500], ModelOutput(text="E"))[1] != "E"
    assert task.predict(samples[500], ModelOutput(text="The answer is B."))[1] == "B"


def test_letter_mode_drops_the_system_prompt_generation_keeps_it(dataset_dir):
    """0.12's multiple-choice adapter sent only the prompt; its service adapter sent the system message."""
    task, samples = task_and_samples("mmlu", dataset_dir, subset="world_religions", few=0, system_prompt="Be brief.")
    assert task.build_request(samples[0]).prompt == MMLU_WR0_0_SHOT
    fixed, fixed_samples = task_and_samples("mmlu", dataset_dir, subset="world_religions", few=0,
                                            system_prompt="Be brief.", style="evalscope-0.12")
    assert fixed.build_request(fixed_samples[0]).prompt.startswith("Be brief.\nThe following")
    gen, gen_samples = task_and_samples("mmlu", dataset_dir, subset="world_religions", few=0, mode="generation",
                                        system_prompt="Be brief.")
    assert gen.build_request(gen_samples[0]).messages == [
        ChatMessage("system", "Be brief."), ChatMessage("user", MMLU_WR0_0_SHOT)
    ]


def test_gsm8k_any_shot_count_but_zero_sends_all_four_exemplars(dataset_dir):
    def text(few, style=STYLE):
        task, samples = task_and_samples("gsm8k", dataset_dir, subset=None, few=few, style=style)
        return task.build_request(samples[0]).messages[-1].content

    four = text(None)
    assert four == text(4, "evalscope-0.12") and four.count("Let's think step by step") == 5
    assert text(2) == four and text(8) == four  # 0.12 reset other counts to 4
    assert text(0) == text(0, "evalscope-0.12") and text(0).count("Question:") == 1


@pytest.mark.parametrize(("name", "subset", "few"), [("ceval", "art_studies", 2), ("cmmlu", "elementary_commonsense", None)])
def test_ceval_and_cmmlu_text_is_the_012_style_text(name, subset, few, dataset_dir):
    ours, samples = task_and_samples(name, dataset_dir, subset=subset, few=few)
    theirs, same = task_and_samples(name, dataset_dir, subset=subset, few=few, style="evalscope-0.12")
    assert ours.build_request(samples[0]) == theirs.build_request(same[0])


def test_style_is_listed_and_accepted_globally_and_per_dataset():
    assert STYLE in prompt_style_names()
    cfg = TaskConfig.from_dict({"prompt_style": STYLE, "dataset_args": {"arc": {"prompt_style": STYLE}}})
    assert cfg.prompt_style == cfg.dataset_args["arc"].prompt_style == STYLE
    with pytest.raises(ConfigError, match=r"unknown prompt style 'evalscope-0.12-verbatin'\. Did you mean: evalscope-0.12-verbatim"):
        TaskConfig.from_dict({"dataset_args": {"mmlu": {"prompt_style": "evalscope-0.12-verbatin"}}})


def test_cli_unknown_style_is_one_error_with_the_close_name(tmp_path):
    from click.testing import CliRunner

    from evalscope.cli.main import main as cli

    result = CliRunner().invoke(cli, [
        "eval", "--model", "mock", "--eval-type", "mock", "--prompt-style", "evalscope-012-verbatim",
        "--datasets", "mmlu", "--work-dir", str(tmp_path),
    ])
    assert result.exit_code == 1
    assert "Did you mean: evalscope-0.12-verbatim" in result.output


def test_cli_mock_run_with_the_verbatim_style(dataset_dir, tmp_path):
    from click.testing import CliRunner

    from evalscope.cli.main import main as cli

    result = CliRunner().invoke(cli, [
        "eval", "--model", "mock", "--eval-type", "mock", "--prompt-style", STYLE, "--datasets", "mmlu", "arc",
        "--dataset-args", '{"mmlu": {"subset_list": ["world_religions"]}, "arc": {"subset_list": ["ARC-Easy"]}}',
        "--limit", "15", "--dataset-dir", str(dataset_dir), "--work-dir", str(tmp_path), "--no-timestamp",
    ])
    assert result.exit_code == 0, result.output
    (config,) = (tmp_path / "configs").glob("task_config_*.yaml")
    assert f"prompt_style: {STYLE}" in config.read_text(encoding="utf-8")
    reviews = [json.loads(line) for line in (tmp_path / "reviews" / "mock" / "arc_ARC-Easy.jsonl").read_text().splitlines()]
    numeric = next(r for r in reviews if r["sample_id"] == "NYSEDREGENTS_2015_8_28")
    assert numeric["choices"][0]["review"]["gold"] == "2"
    assert numeric["choices"][0]["review"]["result"] == {"AverageAccuracy": 0.0}
    assert len((tmp_path / "reviews" / "mock" / "mmlu_world_religions.jsonl").read_text().splitlines()) == 15
