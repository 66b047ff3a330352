"""The one cattrs converter for configs and records (JSON-ready dicts in, attrs objects out)."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from evalscope.core.types import (
    ChatMessage,
    ContentImage,
    ContentText,
    GenerationConfig,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
    SampleResult,
    SampleStatus,
    SettingValueError,
    ToolCall,
    Usage,
)

T = TypeVar("T")

#: lenient converter for our own records (ignores keys written by newer versions)
converter = cattrs.Converter(omit_if_default=False)

#: strict converter for user input: unknown keys and wrong types are errors
strict_converter = cattrs.Converter(forbid_extra_keys=True, prefer_attrib_converters=True)


def _structure_input(value: Any, _type: Any) -> Any:
    if isinstance(value, str):
        return value
    return [converter.structure(m, ChatMessage) for m in value]


_PLAIN = (str, int, float, bool, list, dict, type(None))


def _plain(t: Any) -> bool:
    """A JSON-ish type all the way down (`list[str]` yes, `list[TokenLogprob]` no)."""
    origin = typing.get_origin(t) or t
    return (t is Any or origin in _PLAIN) and all(_plain(x) for x in typing.get_args(t))


def _is_plain_union(t: Any) -> bool:
    """Unions of JSON-ish types only (e.g. `list[str] | dict[str, Any] | None`, `int | float`)."""
    args = typing.get_args(t)
    if typing.get_origin(t) not in (typing.Union, types.UnionType) or not args:
        return False
    return all(_plain(a) for a in args) and any(
        (typing.get_origin(a) or a) in (list, dict, float) for a in args
    )


def _structure_plain_union(value: Any, t: Any) -> Any:
    allowed = tuple((typing.get_origin(a) or a) for a in typing.get_args(t))
    if isinstance(value, bool) and bool not in allowed and int not in allowed:
        raise TypeError(f"expected {_type_names(allowed)}, got bool")
    if isinstance(value, int) and float in allowed and int not in allowed:
        return float(value)
    if not isinstance(value, allowed):
        raise TypeError(f"expected {_type_names(allowed)}, got {type(value).__name__} {short_repr(value)}")
    return value


def _type_names(types_: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types_)


for _conv in (converter, strict_converter):
    _conv.register_structure_hook_func(_is_plain_union, _structure_plain_union)
    _conv.register_structure_hook(RequestKind, lambda v, _t: RequestKind(v))
    _conv.register_unstructure_hook(RequestKind, lambda v: v.value)
    _conv.register_structure_hook(SampleStatus, lambda v, _t: SampleStatus(v))
    _conv.register_unstructure_hook(SampleStatus, lambda v: v.value)
    _conv.register_structure_hook_func(
        lambda t: t == (str | list[ChatMessage]), _structure_input  # Sample.input
    )


# -- message shapes: content parts tagged by `type`, tool calls, fields added after records existed --


def _unstructure_part(part: ContentText | ContentImage) -> dict[str, Any]:
    if isinstance(part, ContentText):
        return {"type": "text", "text": part.text}
    return {"type": "image", "image": part.image, "detail": part.detail}


def _structure_part(value: Any) -> ContentText | ContentImage:
    if isinstance(value, (ContentText, ContentImage)):
        return value
    if not isinstance(value, dict):
        raise TypeError(f"content part: expected an object, got {type(value).__name__} {short_repr(value)}")
    kind = value.get("type")
    if kind == "text":
        return ContentText(str(value["text"]))
    if kind == "image":
        return ContentImage(str(value["image"]), str(value.get("detail", "auto")))
    if kind == "image_url":  # OpenAI's spelling of an image part
        url = value["image_url"]
        if not isinstance(url, dict):
            return ContentImage(str(url))
        return ContentImage(str(url["url"]), str(url.get("detail", "auto")))
    raise ValueError(f"content part: unknown type {short_repr(kind)} (known: text, image)")


def _unstructure_message(m: ChatMessage) -> dict[str, Any]:
    """`{"role", "content"}` as always; parts, tool calls and the call id only when there are any."""
    out: dict[str, Any] = {
        "role": m.role,
        "content": m.content if isinstance(m.content, str) else [_unstructure_part(p) for p in m.content],
    }
    if m.tool_calls is not None:
        out["tool_calls"] = [converter.unstructure(c) for c in m.tool_calls]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    return out


def _structure_message(value: Any, _t: Any) -> ChatMessage:
    if isinstance(value, ChatMessage):
        return value
    if not isinstance(value, dict):
        raise TypeError(f"message: expected an object, got {type(value).__name__} {short_repr(value)}")
    content = value.get("content")
    if content is None:
        content = ""
    elif not isinstance(content, str):
        content = [_structure_part(p) for p in content]
    calls = value.get("tool_calls")
    return ChatMessage(
        role=str(value["role"]),
        content=content,
        tool_calls=None if calls is None else [converter.structure(c, ToolCall) for c in calls],
        tool_call_id=value.get("tool_call_id"),
    )


def _structure_tool_calls(value: Any, _t: Any) -> list[ToolCall] | None:
    return None if value is None else [converter.structure(c, ToolCall) for c in value]


#: fields added after records were first written: left out of a record while at their default,
#: so a record of today's shape is byte for byte what it was (and older records load as before).
#: Inner types first: a generated hook binds the hooks of its fields' types when it is made.
_ADDED_FIELDS: dict[type, tuple[str, ...]] = {
    Usage: ("reasoning_tokens",),
    GenerationConfig: ("chat_template_kwargs", "reasoning_effort"),
    ModelOutput: ("tool_calls", "choices", "turns", "trajectory"),
    ModelRequest: ("tools", "tool_choice", "parallel_tool_calls"),
    Sample: ("turns",),
    SampleResult: ("repeat",),
}

for _conv in (converter, strict_converter):
    _conv.register_unstructure_hook(ContentText, _unstructure_part)
    _conv.register_unstructure_hook(ContentImage, _unstructure_part)
    _conv.register_structure_hook(ContentText, lambda v, _t: _structure_part(v))
    _conv.register_structure_hook(ContentImage, lambda v, _t: _structure_part(v))
    _conv.register_unstructure_hook(ChatMessage, _unstructure_message)
    _conv.register_structure_hook(ChatMessage, _structure_message)
    _conv.register_structure_hook_func(lambda t: t == (list[ToolCall] | None), _structure_tool_calls)
    for _cls, _names in _ADDED_FIELDS.items():
        _conv.register_unstructure_hook(
            _cls,
            make_dict_unstructure_fn(_cls, _conv, **{n: override(omit_if_default=True) for n in _names}),  # type: ignore[arg-type]  # keywords name attributes, not the function's flags
        )


def _strict_scalar(kind: type) -> Any:
    def hook(value: Any, _t: Any) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {short_repr(value)}")
        return value

    return hook


for _kind in (str, int, float, bool):
    strict_converter.register_structure_hook(_kind, _strict_scalar(_kind))


#: longest user value quoted in an error message; longer ones are cut with their length noted
MAX_VALUE_CHARS = 80
#: longest single error message; a config can hold megabytes, a message stays readable
MAX_MESSAGE_CHARS = 600


def short_repr(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """`repr(value)`, cut to about `limit` characters (never echo a huge user value into a message).

    reprlib abbreviates long strings and containers without building their full repr first; an
    abbreviated value is followed by its size.
    """
    import reprlib

    short = reprlib.Repr()  # attributes, not keywords: Python 3.10 has no Repr(**kwargs)
    short.maxlevel, short.maxdict, short.maxlist, short.maxtuple, short.maxset = 2, 4, 6, 6, 6
    short.maxstring = short.maxother = limit
    text = short.repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 4]}...{text[-1]}"
    if isinstance(value, (str, bytes)) and len(value) > limit - 3:
        text += f" ({len(value)} {'chars' if isinstance(value, str) else 'bytes'})"
    elif isinstance(value, (list, tuple, set, dict)) and len(value) > 4:
        text += f" ({len(value)} items)"
    return text


def short_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Cut a message to `limit` characters, keeping its start and end (the end names the field)."""
    if len(text) <= limit:
        return text
    keep = limit // 2 - 3
    return f"{text[:keep]} ... {text[-keep:]}"


def _known_fields(cls: Any) -> list[str]:
    try:
        import attrs

        return [f.name for f in attrs.fields(cls)]
    except (TypeError, attrs.exceptions.NotAnAttrsClassError):
        return []


def _unknown_keys_message(exc: cattrs.ForbiddenExtraKeysError) -> str:
    from evalscope.core.registry import did_you_mean

    known = _known_fields(exc.cl)
    extra = sorted(str(k) for k in exc.extra_fields)
    parts = []
    for key in extra[:5]:
        parts.append(f"unknown key {short_repr(key, 40)}.{did_you_mean(key, known)}".rstrip("."))
    if len(extra) > 5:
        parts.append(f"and {len(extra) - 5} more unknown keys")
    text = "; ".join(parts)
    if known and "Did you mean" not in text:
        text += f" (known keys: {', '.join(known)})"
    return text


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return _unknown_keys_message(exc)
    if isinstance(exc, SettingValueError):  # `_path_first` appends the field to the path
        return f"{exc.problem}{_FIELD_MARK}{exc.field}"
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


#: separates a SettingValueError's problem from its field inside cattrs' `problem @ path` text
_FIELD_MARK = "\x1f"


def _path_first(message: str, root: str) -> str:
    """cattrs writes `problem @ root.field`; we write `root: field: problem` (where first, like a
    compiler: `cfg.yaml: dataset_args['arc'].few_shot_num: expected int, got str 'x'`)."""
    problem, sep, path = message.rpartition(" @ ")
    if not sep:
        problem, mark, field = message.partition(_FIELD_MARK)
        return f"{field}: {problem}" if mark else message
    problem, mark, field = problem.partition(_FIELD_MARK)
    if mark:
        path = f"{path}.{field}"
    if path.startswith(root):
        field = path[len(root) :].lstrip(".")
        return f"{root}: {field}: {problem}" if field else f"{root}: {problem}"
    return f"{path}: {problem}"


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    return converter.structure(data, cls)


def structure_strict(data: Any, cls: type[T], *, where: str = "config") -> T:
    """Structure user input; raise ConfigError naming every bad key and its path."""
    try:
        return strict_converter.structure(data, cls)
    except (cattrs.errors.ClassValidationError, cattrs.errors.BaseValidationError) as exc:
        messages = cattrs.transform_error(exc, path=where, format_exception=_format_exception)
        raise ConfigError(short_message("; ".join(_path_first(m, where) for m in messages))) from None
    except cattrs.ForbiddenExtraKeysError as exc:
        raise ConfigError(short_message(f"{where}: {_unknown_keys_message(exc)}")) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(short_message(f"{where}: {exc}")) from None


class ConfigError(ValueError):
    """Bad user configuration; the message names the field and its path."""


__all__ = [
    "converter",
    "strict_converter",
    "structure",
    "unstructure",
    "structure_strict",
    "ConfigError",
    "make_dict_structure_fn",
    "short_repr",
    "short_message",
]
