"""Random prompts have exactly the asked token length, verified by re-tokenising."""

from evalscope.perf.datasets import DatasetContext
from evalscope.perf.datasets.random_tokens import random_prompts
from evalscope.perf.tokenizer import chat_length, count_tokens


def test_completion_prompts_have_exact_lengths(smollm2_tokenizer):
    ctx = DatasetContext(number=20, min_prompt_length=30, max_prompt_length=300, prefix_length=16,
                         tokenizer=smollm2_tokenizer, api_kind="completions", seed=3)
    prompts = list(random_prompts(ctx))
    assert len(prompts) == 20
    prefix = None
    for p in prompts:
        n = count_tokens(smollm2_tokenizer, p.text)
        assert n == p.intended_tokens and 46 <= n <= 316
        head = smollm2_tokenizer.encode(p.text, add_special_tokens=False)[:16]
        prefix = prefix or head
        assert head == prefix  # shared prefix
    assert len({p.intended_tokens for p in prompts}) > 5


def test_chat_prompts_count_the_template(smollm2_tokenizer):
    ctx = DatasetContext(number=5, min_prompt_length=100, max_prompt_length=100,
                         tokenizer=smollm2_tokenizer, api_kind="chat")
    for p in random_prompts(ctx):
        assert p.intended_tokens == 100
        assert chat_length(smollm2_tokenizer, p.text) == 100
        assert count_tokens(smollm2_tokenizer, p.text) < 100
