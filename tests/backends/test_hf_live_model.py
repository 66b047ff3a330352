"""A model passed in by the caller (a training loop's) is borrowed: eval mode only while answering,
never unloaded, its identity follows its weights; `--chat-template` reaches the local adapter."""

from __future__ import annotations

import asyncio
import copy

import pytest

from evalscope.core.types import ChatMessage, ModelRequest, RequestKind

pytestmark = pytest.mark.slow

TEMPLATE = "{% for m in messages %}[[{{ m.role }}: {{ m.content }}]]{% endfor %}"


def test_chat_template_option_reaches_the_tokenizer(hf_api):
    from evalscope.backends.hf import prompts
    from evalscope.backends.hf.model import HFModelAPI

    api = HFModelAPI.from_loaded(hf_api.hf_model, copy.deepcopy(hf_api.tokenizer), chat_template=TEMPLATE)
    request = ModelRequest(kind=RequestKind.GENERATE, messages=[ChatMessage("user", "hi")])
    text, templated = prompts.render_prompt(api.tokenizer, request)
    assert text == "[[user: hi]]" and templated


def test_borrowed_model_is_restored_to_train_mode_and_never_dropped(hf_api):
    from evalscope.backends.hf.model import HFModelAPI

    model = hf_api.hf_model
    api = HFModelAPI.from_loaded(model, hf_api.tokenizer, name="live", revision="step-7")
    seen = []
    handle = model.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    model.train()
    try:
        request = ModelRequest(kind=RequestKind.CHOICE_PROBS, prompt="Answer: ", choices=["A", "B"])
        (output,) = asyncio.run(api.call([request]))
        asyncio.run(api.aclose())
        assert output.error is None and len(output.scores) == 2
        assert seen and not any(seen), "answered in eval mode"
        assert model.training, "train mode restored"
        assert api.hf_model is model, "a borrowed model is not dropped by aclose"
        assert api.identity()["revision"] == "step-7"
    finally:
        handle.remove()
        model.eval()
