"""The training-loop example trains SmolLM2 for real steps and evaluates the live model after each,
leaving the caller's state (RNGs, train mode, logging) exactly as it was around every call."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import random
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "training_loop_eval.py"

pytestmark = pytest.mark.slow


def _load_example():
    spec = importlib.util.spec_from_file_location("training_loop_eval", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _logging_state() -> tuple:
    root, ours = logging.getLogger(), logging.getLogger("evalscope")
    return (
        tuple(root.handlers),
        tuple(tuple(h.filters) for h in root.handlers),
        tuple(ours.handlers),
        ours.level,
    )


def test_example_trains_and_evaluates_without_touching_the_callers_state(tmp_path, dataset_dir):
    import torch

    from evalscope.backends.hf.model import HFModelAPI
    from evalscope.run import model_identity

    example = _load_example()
    logging.getLogger().addHandler(logging.StreamHandler())  # a training script's own console handler
    checked, identities, named = [], [], []

    def hook(step, callback, model):
        random.seed(1234 + step)
        torch.manual_seed(99 + step)
        before = (random.getstate(), torch.get_rng_state().clone(), model.training, _logging_state())
        modes: list[bool] = []
        handle = model.register_forward_pre_hook(lambda module, args: modes.append(module.training))
        if step == 2:  # seeded generation this time (the path that used to reseed torch's global RNG)
            callback.task["dataset_args"]["arc"].update(output_type="generation", generation_config={"max_tokens": 8})
        if step == 2:  # from inside a running event loop (notebooks, async trainers)
            async def inside_a_loop():
                return callback.on_step_end(step, model)

            score = asyncio.run(inside_a_loop())
        else:
            score = callback.on_step_end(step, model)
        handle.remove()
        after = (random.getstate(), torch.get_rng_state(), model.training, _logging_state())
        assert modes and not any(modes), "the model answered in eval mode"
        assert after[0] == before[0], "Python's global random state changed"
        assert torch.equal(after[1], before[1]), "torch's global RNG changed"
        assert after[2] is True and before[2] is True, "the model is back in train mode"
        assert after[3] == before[3], "logging handlers/filters/levels accumulated"
        assert model is not None and next(model.parameters()).requires_grad, "the model was not unloaded"
        checked.append((step, score))
        identities.append(model_identity(HFModelAPI.from_loaded(model, callback.tokenizer, name="live")))
        named.append(model_identity(HFModelAPI.from_loaded(model, callback.tokenizer, name="live", revision=f"step-{step}")))

    scores = example.train(steps=2, limit=2, dataset_dir=str(dataset_dir), work_dir=str(tmp_path), callback_hook=hook)
    assert [s for s, _ in checked] == [1, 2] and [s for s, _ in scores] == [1, 2]
    assert all(0.0 <= score <= 1.0 for _, score in scores)

    # a live model's identity follows its weights: step N's cached answers never serve step N+1
    assert len(set(identities)) == 2, "the weights fingerprint changed with training"
    assert len(set(named)) == 2, "revision=step-N names each step"
