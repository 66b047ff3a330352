"""A GGUF model's first load (the conversion that the quick start waits on) parses the file once,
and gives the same weights and tokenizer as transformers' own load, which parses it three times."""

from __future__ import annotations

import gguf
import pytest

from evalscope.backends.hf.loader import load_model_and_tokenizer, smollm2_gguf_path

pytestmark = pytest.mark.slow

TEXT = "Janet's ducks lay 16 eggs per day. ¿Qué? 数学 <|im_start|>user"


class CountingReader(gguf.GGUFReader):
    """`gguf.GGUFReader` that counts the files it parses."""

    parsed: list[str] = []

    def __init__(self, path, *args, **kwargs):
        CountingReader.parsed.append(str(path))
        super().__init__(path, *args, **kwargs)


def test_first_load_parses_the_gguf_once_and_converts_the_same_weights(monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setattr(gguf, "GGUFReader", CountingReader)
    gguf_path = smollm2_gguf_path()
    model, tokenizer, _ = load_model_and_tokenizer("smollm2-135m-instruct", use_conversion_cache=False)
    assert CountingReader.parsed == [str(gguf_path)]
    assert gguf.GGUFReader is CountingReader  # the load put back what it found

    CountingReader.parsed.clear()
    folder, name = str(gguf_path.parent), gguf_path.name
    plain_tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    plain = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    assert len(CountingReader.parsed) == 3  # transformers alone: config, tokenizer, weights

    ours, theirs = model.state_dict(), plain.state_dict()
    assert ours.keys() == theirs.keys()
    for key, tensor in ours.items():
        assert tensor.dtype == theirs[key].dtype and tensor.equal(theirs[key]), key
    assert tokenizer(TEXT)["input_ids"] == plain_tokenizer(TEXT)["input_ids"]
    assert tokenizer.get_vocab() == plain_tokenizer.get_vocab()
