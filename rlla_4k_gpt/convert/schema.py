"""ToolRL parameter declarations → JSON Schema, and fitting arguments to it.

Type mapping (case-insensitive; ``, optional`` and ``Optional[...]`` mark a parameter optional):

=========================================  =================================
ToolRL type                                JSON Schema
=========================================  =================================
string, str                                ``string``
int, integer                               ``integer``
float, double, number                      ``number``
bool, boolean                              ``boolean``
list, array, List, Tuple[...], List[X]     ``array`` (``items`` from X)
dict, Dict[...], object                    ``object``
Union[A, B], ["string", "null"]            a type list (int+float → number)
anything else (e.g. ``Callable[...]``)     no type constraint
=========================================  =================================

A parameter is required when it is not marked optional and has no default (ToolRL writes ``""``
for "no default").

**Argument fitting.** The ground truth often writes ``"page": "1"`` while declaring ``int``. Every
call argument is made to validate against its tool's schema:

1. *Lossless coercion* when the value is a string holding exactly a JSON literal of the declared
   type: ``"1"`` → ``1`` (integer: ``-?[0-9]+`` without leading zeros), ``"2.5"`` → ``2.5``
   (number: a JSON number literal), ``"true"``/``"false"`` → booleans, ``"[1, 2]"`` → arrays and
   ``"{...}"`` → objects when the JSON parses to that type; and ``5.0`` → ``5`` for integers.
   Array items are coerced the same way.
2. Otherwise the schema *declares the type as given*: the value's JSON type is added to the
   parameter's type list (or a nested ``items`` constraint is dropped).
3. A required parameter missing from a call becomes optional.

Each change is returned as a :class:`Change` and counted in the build report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.validators import extend

from .toolrl import ToolCall, ToolParam, ToolSpec

_SIMPLE = {
    "string": "string", "str": "string", "text": "string",
    "int": "integer", "integer": "integer", "long": "integer",
    "float": "number", "double": "number", "number": "number", "decimal": "number",
    "bool": "boolean", "boolean": "boolean",
    "list": "array", "array": "array", "tuple": "array", "set": "array", "sequence": "array",
    "dict": "object", "object": "object", "mapping": "object", "map": "object",
    "null": "null", "none": "null",
}  # fmt: skip
_GENERIC = re.compile(r"^\s*([A-Za-z_.]+)\s*\[(.*)\]\s*$", re.S)
_OPTIONAL_SUFFIX = re.compile(r",\s*optional\s*$", re.I)
_INT_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_BOOL_TEXT = {"true": True, "false": False}

ArgumentValidator = extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)))
"""JSON Schema 2020-12, except that an integer is a Python ``int``: ``5.0`` is a number (fitting makes it ``5``)."""


@dataclass(frozen=True)
class Change:
    """One adjustment made while fitting arguments (``kind``: coerced, widened, relaxed)."""

    kind: str
    tool: str
    param: str
    before: Any = None
    after: Any = None


# ----------------------------------------------------------------------------- type mapping


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def type_schema(raw: Any) -> dict[str, Any]:
    """JSON Schema fragment for one ToolRL type (without the optional marker).

    Example:
        >>> type_schema("List[int]")
        {'type': 'array', 'items': {'type': 'integer'}}
        >>> type_schema("Union[int, float]")
        {'type': 'number'}
        >>> type_schema("Callable[[float], float]")
        {}
    """
    if isinstance(raw, list):
        return _union([type_schema(r) for r in raw])
    if not isinstance(raw, str):
        return {}
    text = raw.strip().strip("'\"")
    if text.startswith("[") and text.endswith("]"):
        return _union([type_schema(p) for p in _split_top(text[1:-1])])
    if "|" in text and "[" not in text:
        return _union([type_schema(p) for p in text.split("|")])
    generic = _GENERIC.match(text)
    if generic:
        return _generic(generic[1].split(".")[-1].lower(), _split_top(generic[2]))
    simple = _SIMPLE.get(text.lower())
    return {"type": simple} if simple else {}


def _generic(head: str, args: list[str]) -> dict[str, Any]:
    if head == "optional" and args:
        return type_schema(args[0])
    if head == "union":
        return _union([type_schema(a) for a in args])
    if head in ("list", "sequence", "set") and len(args) == 1:
        items = type_schema(args[0])
        return {"type": "array", "items": items} if items else {"type": "array"}
    simple = _SIMPLE.get(head)
    return {"type": simple} if simple else {}


def _union(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if any(not p or "type" not in p for p in parts):
        return {}
    types = list(dict.fromkeys(t for p in parts for t in _types(p)))
    if "number" in types and "integer" in types:
        types.remove("integer")
    return {"type": types[0]} if len(types) == 1 else {"type": types}


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        return []
    return list(declared) if isinstance(declared, list) else [declared]


def is_optional(raw: Any) -> bool:
    """Whether a ToolRL type string marks the parameter optional."""
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    return bool(_OPTIONAL_SUFFIX.search(text)) or text.lower().startswith("optional[")


def _strip_optional(raw: Any) -> Any:
    return _OPTIONAL_SUFFIX.sub("", raw) if isinstance(raw, str) else raw


def param_schema(param: ToolParam) -> dict[str, Any]:
    """JSON Schema for one parameter: type, description and (when given) a fitted default."""
    schema = type_schema(_strip_optional(param.type))
    if param.description:
        schema["description"] = param.description
    if param.default not in ("", None):
        schema["default"] = coerce(param.default, schema)[0]
    return schema


def function_schema(tool: ToolSpec, name: str) -> dict[str, Any]:
    """OpenAI-style ``{"type": "function", "function": {...}}`` entry for a tool."""
    properties = {p.name: param_schema(p) for p in tool.params}
    required = [p.name for p in tool.params if not is_optional(p.type) and p.default in ("", None)]
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {"type": "function", "function": {"name": name, "description": tool.description, "parameters": parameters}}


# ----------------------------------------------------------------------------- validation


def json_type(value: Any) -> str:
    """The JSON Schema type name of a Python JSON value (integers are ``integer``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def matches(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` validates against ``schema`` (:data:`ArgumentValidator`).

    Example:
        >>> matches([1, 2], {"type": "array", "items": {"type": "integer"}}), matches(5.0, {"type": "integer"})
        (True, False)
    """
    return ArgumentValidator(schema).is_valid(value)


# ----------------------------------------------------------------------------- coercion


def coerce(value: Any, schema: dict[str, Any]) -> tuple[Any, bool]:
    """Losslessly convert ``value`` to the schema's type if needed; return ``(value, changed)``.

    Example:
        >>> coerce("1", {"type": "integer"})
        (1, True)
        >>> coerce("01", {"type": "integer"})
        ('01', False)
        >>> coerce(["1", "2"], {"type": "array", "items": {"type": "integer"}})
        ([1, 2], True)
    """
    if matches(value, schema):
        return value, False
    for target in _types(schema):
        converted = _convert(value, target)
        if converted is not _NO and matches(converted, schema):
            return converted, True
    items = schema.get("items")
    if isinstance(value, list) and items and "array" in _types(schema):
        fitted = [coerce(v, items)[0] for v in value]
        if matches(fitted, schema):
            return fitted, True
    return value, False


_NO = object()


def _convert(value: Any, target: str) -> Any:
    if target == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, str):
        return _NO
    text = value.strip()
    if target == "integer" and _INT_TEXT.fullmatch(text):
        return int(text)
    if target == "number" and _NUMBER_TEXT.fullmatch(text):
        return json.loads(text)
    if target == "boolean" and text in _BOOL_TEXT:
        return _BOOL_TEXT[text]
    if target in ("array", "object") and text[:1] in "[{":
        return _json_or_no(text)
    return _NO


def _json_or_no(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NO


def widen(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """A copy of ``schema`` that also accepts ``value``'s JSON type (declares the type as given)."""
    wider = dict(schema)
    actual = json_type(value)
    types = _types(schema)
    if actual in types or (actual == "integer" and "number" in types):
        wider.pop("items", None)
    else:
        wider["type"] = types + [actual]
    return wider


# ----------------------------------------------------------------------------- fitting calls


def fit_call(call: ToolCall, parameters: dict[str, Any], tool: str) -> tuple[ToolCall, list[Change]]:
    """Fit one call's arguments to ``parameters`` (a JSON Schema object, updated in place)."""
    properties = parameters.get("properties", {})
    args: dict[str, Any] = {}
    changes: list[Change] = []
    for key, value in call.arguments.items():
        schema = properties.get(key)
        if schema is None:
            args[key] = value
            continue
        args[key], change = _fit_value(value, schema, properties, key, tool)
        changes.extend(change)
    changes.extend(_relax_required(parameters, args, tool))
    return ToolCall(call.name, args), changes


def _fit_value(value: Any, schema: dict, properties: dict, key: str, tool: str) -> tuple[Any, list[Change]]:
    fitted, changed = coerce(value, schema)
    if changed:
        return fitted, [Change("coerced", tool, key, value, fitted)]
    if matches(value, schema):
        return value, []
    properties[key] = widen(schema, value)
    return value, [Change("widened", tool, key, schema.get("type"), properties[key].get("type"))]


def _relax_required(parameters: dict[str, Any], args: dict[str, Any], tool: str) -> list[Change]:
    required = parameters.get("required", [])
    missing = [r for r in required if r not in args]
    if not missing:
        return []
    kept = [r for r in required if r in args]
    if kept:
        parameters["required"] = kept
    else:
        parameters.pop("required")
    return [Change("relaxed", tool, m) for m in missing]
