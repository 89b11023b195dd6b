"""Trigger conditions: the CEL subset TFX's compiler emits (compiler_utils.placeholder_to_cel).

Literals (numbers, 'strings'), `inputs.artifacts['key'].artifacts[0]` with `.uri` or
`.metadata['name']`, `+` (concatenation or sum), `==`, `!=`, `<`, `>`, `<=`, `>=`, `!`, `&&`, `||`
and parentheses, evaluated against the task's ExecutorInput inputs as the KFP driver does.
"""
from __future__ import annotations

import functools

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

GRAMMAR = r"""
?expr: or_
?or_: and_ | or_ "||" and_ -> any_
?and_: unary | and_ "&&" unary -> all_
?unary: comparison | "!" unary -> not_
?comparison: sum | sum COMPARE sum -> compare
?sum: atom | sum "+" atom -> plus
?atom: NUMBER -> number
     | STRING -> string
     | "true" -> true
     | "false" -> false
     | ref
     | "(" expr ")"
ref: "inputs" "." "artifacts" "[" STRING "]" "." "artifacts" "[" INT "]" field
field: "." "uri" -> uri
     | "." "metadata" "[" STRING "]" -> metadata
COMPARE: "==" | "!=" | "<=" | ">=" | "<" | ">"
STRING: /'[^']*'/ | /"[^"]*"/
NUMBER: /-?\d+\.\d*([eE][-+]?\d+)?/ | /-?\d+[eE][-+]?\d+/
INT: /\d+/
%import common.WS
%ignore WS
"""


class ConditionError(ValueError):
    """A condition outside the supported subset, or one that cannot be evaluated."""


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, start="expr", parser="lalr")


@v_args(inline=True)
class _Evaluate(Transformer):
    def __init__(self, inputs: dict):
        super().__init__()
        self.inputs = inputs

    def number(self, token):
        return float(token)

    def string(self, token):
        return str(token)[1:-1]

    def true(self):
        return True

    def false(self):
        return False

    def uri(self):
        return ("uri",)

    def metadata(self, key):
        return ("metadata", str(key)[1:-1])

    def ref(self, key, index, field):
        artifacts = self.inputs.get("artifacts", {}).get(str(key)[1:-1], {}).get("artifacts", [])
        if int(index) >= len(artifacts):
            raise ConditionError(f"input artifact {key}[{index}] does not exist")
        artifact = artifacts[int(index)]
        if field[0] == "uri":
            return artifact.get("uri", "")
        metadata = artifact.get("metadata", {})
        if field[1] not in metadata:
            raise ConditionError(f"input artifact {key} has no metadata[{field[1]!r}]")
        return metadata[field[1]]

    def plus(self, lhs, rhs):
        if type(lhs) is not type(rhs) or isinstance(lhs, bool):
            raise ConditionError(f"no such overload: {lhs!r} + {rhs!r}")
        return lhs + rhs

    def compare(self, lhs, op: Token, rhs):
        if type(lhs) is not type(rhs):
            raise ConditionError(f"no such overload: {lhs!r} {op} {rhs!r}")
        return {"==": lhs == rhs, "!=": lhs != rhs, "<": lhs < rhs, ">": lhs > rhs,
                "<=": lhs <= rhs, ">=": lhs >= rhs}[str(op)]

    def not_(self, value):
        return not _boolean(value)

    def all_(self, lhs, rhs):
        return _boolean(lhs) and _boolean(rhs)

    def any_(self, lhs, rhs):
        return _boolean(lhs) or _boolean(rhs)


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ConditionError(f"{value!r} is not a boolean")
    return value


def evaluate(condition: str, inputs: dict) -> bool:
    """Whether a task with these ExecutorInput inputs runs; `inputs` as in ExecutorInput JSON."""
    try:
        tree = _parser().parse(condition)
    except LarkError as err:
        raise ConditionError(f"condition {condition!r} is outside the CEL subset TFX emits: "
                             f"{str(err).splitlines()[0]}") from None
    try:
        return _boolean(_Evaluate(inputs).transform(tree))
    except VisitError as err:
        if isinstance(err.orig_exc, ConditionError):
            raise ConditionError(f"condition {condition!r}: {err.orig_exc}") from None
        raise
