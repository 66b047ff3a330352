"""Pure pieces of the HF backend: generation settings, stop strings, scoring pairs, precisions."""

from __future__ import annotations

import pytest
import torch

from evalscope.backends.hf.generation import cut_at_stop, to_gen_params
from evalscope.backends.hf.loader import _dtype
from evalscope.backends.hf.scoring import build_pair, choice_probabilities, left_pad
from evalscope.core.types import GenerationConfig


@pytest.mark.parametrize(
    ("config", "sample"),
    [
        (GenerationConfig(), False),
        (GenerationConfig(temperature=0), False),
        (GenerationConfig(temperature=0.7), True),
        (GenerationConfig(do_sample=True, temperature=0.7), True),
        (GenerationConfig(do_sample=False, temperature=0.7), False),
        (GenerationConfig(do_sample=True, temperature=0), False),
    ],
)
def test_greedy_unless_sampling_is_asked_for(config: GenerationConfig, sample: bool) -> None:
    params = to_gen_params(config, default_max_tokens=64)
    assert params.do_sample is sample
    assert params.max_new_tokens == 64
    if not sample:
        assert params.temperature is None and params.top_p is None and params.top_k is None


def test_generation_settings_carry_over() -> None:
    config = GenerationConfig(
        max_tokens=5, temperature=0.5, top_p=0.9, top_k=20, seed=1, stop=["\n", ""], n=3
    )
    params = to_gen_params(config, default_max_tokens=64)
    assert (params.max_new_tokens, params.temperature, params.top_p, params.top_k) == (5, 0.5, 0.9, 20)
    assert params.stop == ("\n",) and params.seed == 1 and params.n == 3
    assert hash(params) == hash(to_gen_params(config, 64))  # requests group by these settings


def test_cut_at_the_earliest_stop_string() -> None:
    assert cut_at_stop("a, b. c\nd", ("\n", ".")) == ("a, b", True)
    assert cut_at_stop("abc", ("x",)) == ("abc", False)


def test_scoring_pair_takes_the_continuation_after_the_shared_prefix() -> None:
    pair = build_pair([5, 6, 7], [5, 6, 8, 9], start_id=1, max_length=100)  # 7 merged into 8
    assert (pair.tokens, pair.continuation) == ([5, 6, 8, 9], 2)
    empty_context = build_pair([], [8, 9], start_id=1, max_length=100)
    assert (empty_context.tokens, empty_context.continuation) == ([1, 8, 9], 2)
    long = build_pair(list(range(10)), list(range(14)), start_id=None, max_length=6)
    assert long.tokens == list(range(7, 14)) and long.continuation == 4  # left-truncated to 6 + 1


def test_left_padding_counts_positions_from_the_first_real_token() -> None:
    ids, mask, positions = left_pad([[7, 8, 9], [4]], pad_id=0, device="cpu")
    assert ids.tolist() == [[7, 8, 9], [0, 0, 4]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert positions.tolist() == [[0, 1, 2], [0, 0, 0]]


def test_choice_probability_sums_both_spellings() -> None:
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    assert choice_probabilities(logits, [[0, 2], [1], []]) == pytest.approx([0.4, 0.2, 0.0])


def test_precision_names() -> None:
    assert _dtype(None, device_is_cuda=False) is torch.float32  # float16 is slow on CPU
    assert _dtype("auto", device_is_cuda=False) is torch.float32
    assert _dtype("auto", device_is_cuda=True) == "auto"
    assert _dtype("torch.float16", False) is torch.float16
    assert _dtype("bf16", False) is torch.bfloat16
    with pytest.raises(ValueError, match="Unknown precision"):
        _dtype("int3", False)
