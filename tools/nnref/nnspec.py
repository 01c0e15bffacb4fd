"""Parser for Kiln's `.nn` layer-spec language (see docs: spec-language.md).

This is the Python test oracle, not the compiler: it accepts every valid spec and
rejects the obvious mistakes with `FILE:LINE:COL: error: MESSAGE`, but it does not try
to reproduce the compiler's diagnostics word for word.

The result of `parse_spec` is a `Spec`: the model name, the input shape and a tree of
`Layer` / `Block` nodes in source order. Shapes are not inferred here; `nnmodel`
does that while it builds the torch module.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INT_RE = re.compile(r"^[0-9]+$")
SIZE_RE = re.compile(r"^([0-9]+)(?:x([0-9]+))?$")
FLOAT_RE = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


class SpecError(Exception):
    """A mistake in a spec, located at FILE:LINE:COL (1-based)."""

    def __init__(self, path: str, line: int, col: int, message: str):
        super().__init__(f"{path}:{line}:{col}: error: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message


@dataclass
class Token:
    text: str
    line: int
    col: int


@dataclass
class Layer:
    """One `[LABEL:] OP [POSITIONAL] [key=value ...]` statement, values already typed."""
    op: str
    label: Optional[str]
    args: Dict[str, object]        # every argument of the op, defaults filled in
    line: int
    col: int                       # column of the op token (or of the label)


@dataclass
class Block:
    """A `NAME { ... }` block: a named nn.Sequential."""
    name: str
    children: List[Union["Layer", "Block"]]
    line: int
    col: int


@dataclass
class Spec:
    path: str
    name: str
    input_shape: Tuple[int, int, int, int]   # N, C, H, W
    body: List[Union[Layer, Block]] = field(default_factory=list)


# --- Argument schemas -------------------------------------------------------------
# Each op lists its positional argument (name, kind, default or REQUIRED, or None when
# the op takes none) and its keys {name: (kind, default)}. Kinds: "int", "size" (an
# integer or HxW, stored as an (h, w) tuple), "float", "bool". A default of SAME_AS
# means "the value of another argument" (pool stride defaults to the kernel).
REQUIRED = object()


class SameAs:
    def __init__(self, other: str):
        self.other = other


OPS = {
    "conv2d": (("out_channels", "int", REQUIRED),
               {"kernel": ("size", REQUIRED), "stride": ("size", (1, 1)),
                "padding": ("size", (0, 0)), "dilation": ("size", (1, 1)),
                "groups": ("int", 1), "bias": ("bool", True)}),
    "linear": (("out_features", "int", REQUIRED), {"bias": ("bool", True)}),
    "relu": (None, {}),
    "sigmoid": (None, {}),
    "tanh": (None, {}),
    "relu6": (None, {}),
    "hardtanh": (None, {"min_val": ("float", -1.0), "max_val": ("float", 1.0)}),
    "leaky_relu": (None, {"negative_slope": ("float", 0.01)}),
    "elu": (None, {"alpha": ("float", 1.0)}),
    "prelu": (None, {"num_parameters": ("int", 1), "init": ("float", 0.25)}),
    "hardswish": (None, {}),
    "hardsigmoid": (None, {}),
    "silu": (None, {}),
    "softplus": (None, {}),
    "softsign": (None, {}),
    "selu": (None, {}),
    "celu": (None, {"alpha": ("float", 1.0)}),
    "maxpool": (("kernel", "size", REQUIRED),
                {"stride": ("size", SameAs("kernel")), "padding": ("size", (0, 0)),
                 "ceil_mode": ("bool", False)}),
    "avgpool": (("kernel", "size", REQUIRED),
                {"stride": ("size", SameAs("kernel")), "padding": ("size", (0, 0)),
                 "ceil_mode": ("bool", False), "count_include_pad": ("bool", True)}),
    "adaptive_avgpool": (("size", "size", REQUIRED), {}),
    "lrn": (("size", "int", REQUIRED),
            {"alpha": ("float", 1e-4), "beta": ("float", 0.75), "k": ("float", 1.0)}),
    "batchnorm": (None, {"eps": ("float", 1e-5)}),
    "dropout": (("p", "float", 0.5), {}),
    "flatten": (None, {}),
    "softmax": (None, {}),
}


def _convert(path: str, tok: Token, text: str, kind: str, what: str):
    """Turns the text of a value into the Python value of the given kind."""
    if kind == "int":
        if INT_RE.match(text):
            return int(text)
        raise SpecError(path, tok.line, tok.col, f"{what} must be an integer, got '{text}'")
    if kind == "size":
        m = SIZE_RE.match(text)
        if m:
            h = int(m.group(1))
            return (h, int(m.group(2)) if m.group(2) is not None else h)
        raise SpecError(path, tok.line, tok.col,
                        f"{what} must be a size (N or HxW), got '{text}'")
    if kind == "float":
        if FLOAT_RE.match(text):
            return float(text)
        raise SpecError(path, tok.line, tok.col, f"{what} must be a number, got '{text}'")
    if kind == "bool":
        if text in ("true", "false"):
            return text == "true"
        raise SpecError(path, tok.line, tok.col, f"{what} must be true or false, got '{text}'")
    raise AssertionError(kind)


def _parse_layer(path: str, toks: List[Token], label: Optional[str], start: Token) -> Layer:
    op_tok = toks[0]
    if op_tok.text not in OPS:
        raise SpecError(path, op_tok.line, op_tok.col,
                        f"unknown op '{op_tok.text}' (expected one of: {', '.join(OPS)})")
    pos_schema, key_schema = OPS[op_tok.text]
    args: Dict[str, object] = {}
    for tok in toks[1:]:
        if "=" in tok.text:
            key, _, value = tok.text.partition("=")
            if key not in key_schema:
                known = ", ".join(key_schema) or "none"
                raise SpecError(path, tok.line, tok.col,
                                f"unknown key '{key}' for {op_tok.text} (keys: {known})")
            if key in args:
                raise SpecError(path, tok.line, tok.col, f"key '{key}' given twice")
            args[key] = _convert(path, tok, value, key_schema[key][0], key)
        else:
            if pos_schema is None:
                raise SpecError(path, tok.line, tok.col,
                                f"{op_tok.text} takes no positional argument")
            name, kind, _ = pos_schema
            if name in args:
                raise SpecError(path, tok.line, tok.col,
                                f"unexpected extra argument '{tok.text}'")
            args[name] = _convert(path, tok, tok.text, kind, f"{op_tok.text} {name}")
    # Defaults and required arguments.
    if pos_schema is not None and pos_schema[0] not in args:
        name, _, default = pos_schema
        if default is REQUIRED:
            raise SpecError(path, op_tok.line, op_tok.col,
                            f"{op_tok.text} needs its {name} (e.g. '{op_tok.text} 3')")
        args[name] = default
    for key, (_, default) in key_schema.items():
        if key in args:
            continue
        if default is REQUIRED:
            raise SpecError(path, op_tok.line, op_tok.col,
                            f"{op_tok.text} needs '{key}=' (e.g. '{op_tok.text} 16 {key}=3')")
        args[key] = args[default.other] if isinstance(default, SameAs) else default
    return Layer(op_tok.text, label, args, start.line, start.col)


def parse_spec(text: str, path: str = "<spec>") -> Spec:
    """Parses the text of a `.nn` file. Raises SpecError on the first mistake."""
    name: Optional[str] = None
    input_shape = None
    body: List[Union[Layer, Block]] = []
    stack: List[Tuple[Block, List]] = []      # open blocks
    names_seen: Dict[str, int] = {}           # label / block name -> line
    current = body

    def claim(tok: Token, ident: str):
        if not IDENT_RE.match(ident):
            raise SpecError(path, tok.line, tok.col, f"'{ident}' is not a valid name")
        if ident in names_seen:
            raise SpecError(path, tok.line, tok.col,
                            f"duplicate name '{ident}' (first used on line {names_seen[ident]})")
        names_seen[ident] = tok.line

    for lineno, raw in enumerate(text.splitlines(), start=1):
        code = raw.split("#", 1)[0]
        toks = [Token(m.group(0), lineno, m.start() + 1) for m in re.finditer(r"\S+", code)]
        if not toks:
            continue
        first = toks[0]
        if name is None and first.text != "model":
            raise SpecError(path, first.line, first.col, "a spec must start with 'model NAME'")

        if first.text == "model":
            if name is not None:
                raise SpecError(path, first.line, first.col, "'model' given twice")
            if len(toks) != 2 or not IDENT_RE.match(toks[1].text):
                raise SpecError(path, first.line, first.col, "expected 'model NAME'")
            name = toks[1].text
        elif first.text == "input":
            if input_shape is not None:
                raise SpecError(path, first.line, first.col, "'input' given twice")
            if stack:
                raise SpecError(path, first.line, first.col, "'input' inside a block")
            dims = toks[1].text.split("x") if len(toks) == 2 else []
            if len(dims) != 4 or not all(INT_RE.match(d) and int(d) > 0 for d in dims):
                raise SpecError(path, first.line, first.col,
                                "expected 'input NxCxHxW' with positive sizes")
            input_shape = tuple(int(d) for d in dims)
            if 4 * input_shape[0] * input_shape[1] * input_shape[2] * input_shape[3] > 2 ** 40:
                raise SpecError(path, toks[1].line, toks[1].col,
                                "the input is larger than 2^40 bytes")
        elif first.text == "}":
            if len(toks) != 1:
                raise SpecError(path, toks[1].line, toks[1].col, "expected nothing after '}'")
            if not stack:
                raise SpecError(path, first.line, first.col, "'}' without an open block")
            _, current = stack.pop()      # back to the enclosing list of statements
        elif toks[-1].text == "{":
            if len(toks) != 2:
                raise SpecError(path, first.line, first.col, "expected 'NAME {'")
            if input_shape is None:
                raise SpecError(path, first.line, first.col, "'input' must come before layers")
            claim(first, first.text)
            block = Block(first.text, [], first.line, first.col)
            current.append(block)
            stack.append((block, current))
            current = block.children
        else:
            if input_shape is None:
                raise SpecError(path, first.line, first.col, "'input' must come before layers")
            label = None
            rest = toks
            if first.text.endswith(":"):
                label = first.text[:-1]
                claim(first, label)
                rest = toks[1:]
                if not rest:
                    raise SpecError(path, first.line, first.col, f"expected an op after '{first.text}'")
            current.append(_parse_layer(path, rest, label, first))

    if stack:
        block = stack[-1][0]
        raise SpecError(path, block.line, block.col, f"block '{block.name}' is never closed with '}}'")
    if name is None:
        raise SpecError(path, 1, 1, "empty spec: expected 'model NAME'")
    if input_shape is None:
        raise SpecError(path, 1, 1, "missing 'input NxCxHxW'")
    if not body:
        raise SpecError(path, 1, 1, "the model has no layers")
    return Spec(path, name, input_shape, body)


def load_spec(path: str) -> Spec:
    with open(path, "r", encoding="utf-8") as f:
        return parse_spec(f.read(), path)
