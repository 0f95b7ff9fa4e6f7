"""Safe tool names, ToolRL type mapping and argument fitting."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlla_4k_gpt.convert.names import is_safe, safe_names, sanitize
from rlla_4k_gpt.convert.schema import coerce, fit_call, function_schema, type_schema
from rlla_4k_gpt.convert.toolrl import ToolCall, ToolParam, ToolSpec

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Search Managers", "Search_Managers"),
        ("M4.5+ Earthquakes, Past 7 Days", "M4_5_Earthquakes_Past_7_Days"),
        ("currencies/list", "currencies_list"),
        (".Ss_IvU94p", "Ss_IvU94p"),
        ("6-TimeSeries Endpoint: Currency Exchange Rate", "fn_6_TimeSeries_Endpoint_Currency_Exchange_Rate"),
        ("+++", "fn"),
    ],
)
def test_sanitize(name: str, safe: str) -> None:
    assert sanitize(name) == safe


def test_safe_names_keep_safe_names_and_resolve_collisions() -> None:
    assert safe_names(["a b", "a_b", "a.b"]) == ["a_b_2", "a_b", "a_b_3"]


@given(st.lists(st.text(max_size=12), max_size=12))
def test_safe_names_are_unique_identifiers(names: list[str]) -> None:
    out = safe_names(names)
    assert len(out) == len(names)
    assert len(set(out)) == len(out)
    assert all(IDENT.fullmatch(n) for n in out)
    first_safe = [i for i, n in enumerate(names) if is_safe(n) and names.index(n) == i]
    assert all(out[i] == names[i] for i in first_safe)


@pytest.mark.parametrize(
    ("raw", "schema"),
    [
        ("string", {"type": "string"}),
        ("str", {"type": "string"}),
        ("int", {"type": "integer"}),
        ("integer", {"type": "integer"}),
        ("float", {"type": "number"}),
        ("double", {"type": "number"}),
        ("bool", {"type": "boolean"}),
        ("boolean", {"type": "boolean"}),
        ("array", {"type": "array"}),
        ("list", {"type": "array"}),
        ("List", {"type": "array"}),
        ("List[int]", {"type": "array", "items": {"type": "integer"}}),
        ("List[List[float]]", {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}),
        ("Tuple[float, float]", {"type": "array"}),
        ("dict", {"type": "object"}),
        ("Dict", {"type": "object"}),
        ("object", {"type": "object"}),
        ("List[Union[int, float]]", {"type": "array", "items": {"type": "number"}}),
        (["string", "null"], {"type": ["string", "null"]}),
        ("['string', 'integer']", {"type": ["string", "integer"]}),
        ("Callable[[float], float]", {}),
    ],
)
def test_type_schema(raw: object, schema: dict) -> None:
    assert type_schema(raw) == schema


def test_required_follows_optional_and_default() -> None:
    tool = ToolSpec(
        "t",
        "d",
        (
            ToolParam("a", "int", default=""),
            ToolParam("b", "str, optional", default=""),
            ToolParam("c", "float", default="1.5"),
        ),
    )
    params = function_schema(tool, "t")["function"]["parameters"]
    assert params["required"] == ["a"]
    assert params["properties"]["c"]["default"] == 1.5


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("1", {"type": "integer"}, 1),
        ("-12", {"type": "integer"}, -12),
        (5.0, {"type": "integer"}, 5),
        ("2.5", {"type": "number"}, 2.5),
        ("100.0", {"type": "number"}, 100.0),
        ("true", {"type": "boolean"}, True),
        ("false", {"type": "boolean"}, False),
        ("[1, 2]", {"type": "array"}, [1, 2]),
        ('{"a": 1}', {"type": "object"}, {"a": 1}),
        (["1", "2"], {"type": "array", "items": {"type": "integer"}}, [1, 2]),
    ],
)
def test_lossless_coercion(value: object, schema: dict, expected: object) -> None:
    got, changed = coerce(value, schema)
    assert changed and got == expected and type(got) is type(expected)
    jsonschema.validate(got, schema)


@pytest.mark.parametrize(
    ("value", "schema"),
    [("01", {"type": "integer"}), ("1.5", {"type": "integer"}), ("yes", {"type": "boolean"}), ("abc", {"type": "number"}), (3, {"type": "string"})],
)
def test_lossy_values_are_not_coerced(value: object, schema: dict) -> None:
    assert coerce(value, schema) == (value, False)


def test_fit_call_coerces_widens_and_relaxes() -> None:
    tool = ToolSpec("t", "d", (ToolParam("page", "int"), ToolParam("q", "str"), ToolParam("flag", "bool")))
    schema = function_schema(tool, "t")
    params = schema["function"]["parameters"]
    call, changes = fit_call(ToolCall("t", {"page": "2", "q": 7}), params, "t")
    assert call.arguments == {"page": 2, "q": 7}
    assert sorted(c.kind for c in changes) == ["coerced", "relaxed", "widened"]
    assert params["required"] == ["page", "q"]
    jsonschema.validate(call.arguments, params)


@given(st.one_of(st.integers(-10**12, 10**12), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)))
def test_coercion_of_json_text_recovers_the_value(value: object) -> None:
    text = json.dumps(value)
    kind = {bool: "boolean", int: "integer", float: "number"}[type(value)]
    got, changed = coerce(text, {"type": kind})
    assert changed and got == value and json.dumps(got) == text
