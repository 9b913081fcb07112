"""Parser tests: the example specs, the IR shape of every construct, precedence, syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcheck import ir
from modelcheck.diagnostics import SpecError
from modelcheck.dsl.parse import parse
from tests.helpers import TCOMMIT, TWOPHASE

EXAMPLES = [Path(TWOPHASE), Path(TCOMMIT), Path(__file__).with_name("golden") / "ok_features.mc"]


# --------------------------------------------------------------------------- helpers


def nodes(n):
    """Every IR node reachable from ``n`` (shared nodes once)."""
    seen: dict[int, ir.Node] = {}
    stack = [n]
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, ir.Node):
            if id(x) in seen:
                continue
            seen[id(x)] = x
            for f in type(x).__slots__:
                stack.append(getattr(x, f))
    return list(seen.values())


def sx(e) -> str:
    """An s-expression of an expression, to pin down its shape."""
    if isinstance(e, ir.Lit):
        return str(e.value).lower() if isinstance(e.value, bool) else str(e.value)
    if isinstance(e, ir.Name):
        return e.name
    if isinstance(e, ir.Primed):
        return e.name + "'"
    if isinstance(e, ir.Unary):
        return f"({e.op} {sx(e.arg)})"
    if isinstance(e, ir.Binary):
        return f"({e.op} {sx(e.left)} {sx(e.right)})"
    if isinstance(e, ir.If):
        return f"(if {sx(e.cond)} {sx(e.then)} {sx(e.else_)})"
    if isinstance(e, ir.Let):
        return "(let " + " ".join(f"{n}={sx(v)}" for n, v in e.bindings) + f" {sx(e.body)})"
    if isinstance(e, ir.Quant):
        return f"({e.kind} " + " ".join(f"{b.name}:{sx(b.domain)}" for b in e.binders) + f" {sx(e.body)})"
    if isinstance(e, ir.SetLit):
        return "{" + " ".join(sx(x) for x in e.elems) + "}"
    if isinstance(e, ir.SeqLit):
        return "[" + " ".join(sx(x) for x in e.elems) + "]"
    if isinstance(e, ir.TupleLit):
        return "(tuple " + " ".join(sx(x) for x in e.elems) + ")"
    if isinstance(e, ir.RecordLit):
        return "(record " + " ".join(f"{n}={sx(v)}" for n, v in e.fields) + ")"
    if isinstance(e, ir.RecordUpdate):
        return f"(update {sx(e.base)} " + " ".join(f"{n}={sx(v)}" for n, v in e.fields) + ")"
    if isinstance(e, ir.SetComp):
        c = f" if {sx(e.cond)}" if e.cond is not None else ""
        return f"(setcomp {sx(e.elem)} " + " ".join(f"{b.name}:{sx(b.domain)}" for b in e.binders) + c + ")"
    if isinstance(e, ir.FunComp):
        c = f" if {sx(e.cond)}" if e.cond is not None else ""
        return (f"(funcomp {sx(e.key)} {sx(e.value)} "
                + " ".join(f"{b.name}:{sx(b.domain)}" for b in e.binders) + c + ")")
    if isinstance(e, ir.Call):
        m = "." if e.method else ""
        return f"({m}{e.func}" + "".join(" " + sx(a) for a in e.args) + ")"
    if isinstance(e, ir.Index):
        return f"(index {sx(e.base)} {sx(e.key)})"
    if isinstance(e, ir.Field):
        return f"(field {sx(e.base)} {e.name})"
    if isinstance(e, ir.Temporal):
        return f"({e.op} " + " ".join(sx(a) for a in e.args) + ")"
    raise AssertionError(e)


def expr(src: str):
    m = parse(f"module M\ndef d = {src}\n")
    return m.decls[0].body


def syntax_error(src: str) -> SpecError:
    with pytest.raises(SpecError) as ei:
        parse(src, "t.mc")
    assert all(d.code == "MC100" for d in ei.value.diagnostics), ei.value.render()
    return ei.value


# --------------------------------------------------------------------------- example specs


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_parse_with_unique_ids_and_spans(path):
    text = path.read_text()
    m = parse(text, str(path))
    assert m.source == text and m.file == str(path)
    all_nodes = nodes(m)
    ids = [n.id for n in all_nodes]
    assert len(ids) == len(set(ids)), "node ids must be unique"
    for n in all_nodes:
        if isinstance(n, ir.Block) and not n.stmts:
            continue  # an absent `else` has no source
        sp = m.spans.get(n.id)
        assert sp is not None, n
        assert sp.file == str(path)
        assert (sp.line, sp.col) < (sp.end_line, sp.end_col) or n is m


def test_twophase_shape():
    m = parse(Path(TWOPHASE).read_text())
    assert m.name == "TwoPhase"
    kinds = [type(d).__name__ for d in m.decls]
    assert kinds.count("ActionDecl") == 7 and kinds.count("PropertyDecl") == 5
    tm = next(d for d in m.decls if isinstance(d, ir.EnumDecl) and d.name == "TMState")
    assert [c.name for c in tm.ctors] == ["init", "tmCommitted", "tmAborted"]
    init = next(d for d in m.decls if isinstance(d, ir.InitDecl))
    assign = init.body.stmts[1]
    assert isinstance(assign, ir.Assign) and not assign.primed
    assert assign.value == ir.Name(assign.value.id, "init")
    rcv = next(d for d in m.decls if isinstance(d, ir.ActionDecl) and d.name == "TMRcvPrepared")
    assert sx(rcv.body.stmts[0].cond) == "(== tmState init)"
    assert [b.name for b in rcv.params] == ["rm"]
    agreement = next(d for d in m.decls if isinstance(d, ir.PropertyDecl) and d.name == "Agreement")
    q = agreement.body.arg
    assert isinstance(q, ir.Quant) and [b.name for b in q.binders] == ["r1", "r2"]
    assert q.binders[0].domain is q.binders[1].domain
    integrity = next(d for d in m.decls if isinstance(d, ir.PropertyDecl) and d.kind == "step")
    assert sx(integrity.body) == \
        "(forall r:RM (implies (decided (index rmState r)) (== (index rmState' r) (index rmState r))))"
    cfgs = [d for d in m.decls if isinstance(d, ir.ConfigDecl)]
    assert [(c.name, c.bindings[0].name, c.bindings[0].value) for c in cfgs] == \
        [("rm2", "RM", 2), ("rm5", "RM", 5)]


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize("src, want", [
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("not x == y", "(not (== x y))"),
    ("not a and b", "(and (not a) b)"),
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    ("-x * y", "(* (- x) y)"),
    ("-f[x]", "(- (index f x))"),
    ("a / b % c", "(% (/ a b) c)"),
    ("S union T intersect U", "(union S (intersect T U))"),
    ("S intersect T union U", "(union (intersect S T) U)"),
    ("S diff T union U", "(union (diff S T) U)"),
    ("s ++ t ++ u", "(++ (++ s t) u)"),
    ("x in S union T", "(in x (union S T))"),
    ("1..N + 1", "(.. 1 (+ N 1))"),
    ("x in 1..3 intersect S", "(in x (intersect (.. 1 3) S))"),
    ("a implies b implies c", "(implies a (implies b c))"),
    ("a iff b or c", "(iff a (or b c))"),
    ("a or b implies c and d", "(implies (or a b) (and c d))"),
    ("x < y and y <= z", "(and (< x y) (<= y z))"),
    ("forall x in S: p and q", "(forall x:S (and p q))"),
    ("forall x in S: p implies exists y in T: q or r", "(forall x:S (implies p (exists y:T (or q r))))"),
    ("exists x, y in S, z in T: p", "(exists x:S y:S z:T p)"),
    ("(forall x in S: p) and q", "(and (forall x:S p) q)"),
    ("a and forall x in S: p or q", "(and a (forall x:S (or p q)))"),
    ("a or b and not exists x in S: p", "(or a (and b (not (exists x:S p))))"),
    ("p implies if c then a else b", "(implies p (if c a b))"),
    ("a and let x = 1 in x == 1", "(and a (let x=1 (== x 1)))"),
    ("always forall x in S: p", "(always (forall x:S p))"),
    ("if a then b else c or d", "(if a b (or c d))"),
    ("if a then if b then 1 else 2 else 3", "(if a (if b 1 2) 3)"),
    ("let x = 1, y = x + 1 in x + y", "(let x=1 y=(+ x 1) (+ x y))"),
    ("let x = a in S", "(let x=a S)"),
    ("let x = (a in S) in x", "(let x=(in a S) x)"),
    ("f[x][y].g", "(field (index (index f x) y) g)"),
    ("x'[r]", "(index x' r)"),
    ("S.size()", "(.size S)"),
    ("f.put(k, v).put(k2, v2)", "(.put (.put f k v) k2 v2)"),
    ("r.f", "(field r f)"),
    ("union(S, T)", "(union S T)"),
    ("S.union(T)", "(.union S T)"),
    ("x notin S", "(notin x S)"),
    ("S subseteq T", "(subseteq S T)"),
    ("tmState == init", "(== tmState init)"),
    ("always p implies eventually q", "(implies (always p) (eventually q))"),
    ("p ~> q", "(leadsto p q)"),
    ("not always p", "(not (always p))"),
    ("reachable (x == 1)", "(reachable (== x 1))"),
])
def test_precedence(src, want):
    assert sx(expr(src)) == want


@pytest.mark.parametrize("src, want", [
    ("(a)", "a"),
    ("(a, b)", "(tuple a b)"),
    ("((a, b), c)", "(tuple (tuple a b) c)"),
    ("{}", "{}"),
    ("{a}", "{a}"),
    ("{a, b}", "{a b}"),
    ("[]", "[]"),
    ("[a, b]", "[a b]"),
    ("{ f: 1, g: true }", "(record f=1 g=true)"),
    ("{ ...r, f: 2 }", "(update r f=2)"),
    ("{ x + 1 for x in S }", "(setcomp (+ x 1) x:S)"),
    ("{ x for x in S, y in T if x == y }", "(setcomp x x:S y:T if (== x y))"),
    ("{ x: 0 for x in S }", "(funcomp x 0 x:S)"),
    ("{ x: 0 for x in S if p }", "(funcomp x 0 x:S if p)"),
    ("{ forall x in S: p }", "{(forall x:S p)}"),
    ("Prepared(r)", "(Prepared r)"),
    ("map()", "(map)"),
    ("-1", "(- 1)"),
    ("f(a, (b, c))", "(f a (tuple b c))"),
])
def test_atoms(src, want):
    assert sx(expr(src)) == want


# --------------------------------------------------------------------------- declarations and blocks


def test_declarations_and_types():
    m = parse("""module M
models RM = {r1, r2}
symmetry RM
const N = 3
enum Msg = | A(RM, 0..N - 1) | B
type T = { f: RM, g: (bool, int) }
var v: RM -> seq[Msg, N]
var w: map[int, bag[set[T]]]
def f(x: int, y: bool) = x
def g() = 1
def h = 2
action A { require true }
action B(x, y in RM, z in 1..2) { require true }
invariant I [typing]: true
step S [integrity]: true
constraint C: true
temporal T [termination]: eventually true
fairness weak A, strong B(*)
config c { N = 1; RM = {a, b}
  B = true
  X = -2 }
""")
    d = {type(x).__name__ + ":" + getattr(x, "name", ""): x for x in m.decls}
    assert d["ModelsDecl:RM"].values == ("r1", "r2")
    msg = d["EnumDecl:Msg"]
    assert [c.name for c in msg.ctors] == ["A", "B"]
    assert isinstance(msg.ctors[0].args[1], ir.TRange)
    assert isinstance(d["VarDecl:v"].type, ir.TFun)
    seq = d["VarDecl:v"].type.cod
    assert seq.name == "seq" and isinstance(seq.bound, ir.Name)
    w = d["VarDecl:w"].type
    assert w.name == "map" and w.args[1].name == "bag" and w.args[1].args[0].name == "set"
    t = d["TypeDecl:T"].type
    assert isinstance(t, ir.TRecord) and isinstance(t.fields[1][1], ir.TTuple)
    assert [p.name for p in d["DefDecl:f"].params] == ["x", "y"]
    assert d["DefDecl:g"].params == () and d["DefDecl:h"].params == ()
    assert d["ActionDecl:A"].params == ()
    b = d["ActionDecl:B"].params
    assert [x.name for x in b] == ["x", "y", "z"] and b[0].domain is b[1].domain
    props = [x for x in m.decls if isinstance(x, ir.PropertyDecl)]
    assert [(p.kind, p.cls) for p in props] == [
        ("invariant", "typing"), ("step", "integrity"), ("constraint", None), ("temporal", "termination")]
    fair = next(x for x in m.decls if isinstance(x, ir.FairnessDecl))
    assert [(i.strength, i.action, i.per_instance) for i in fair.items] == [
        ("weak", "A", False), ("strong", "B", True)]
    cfg = d["ConfigDecl:c"]
    assert [(b.name, b.value) for b in cfg.bindings] == [
        ("N", 1), ("RM", ("a", "b")), ("B", True), ("X", -2)]


def test_blocks_and_statements():
    m = parse("""module M
action A(p in S) {
  require x > 0; let y = x + 1
  pick q in S
  either { x' = 1 } or { x' = 2 } or { require false }
  if a { x' = 1 } else if b { x' = 2 } else { x' = 3 }
  if c { y' = 1 }
  assert x > 0
  assert x > 1: "x is \\"big\\""
  z' = y
}
init { x = 0; y = {} }
""")
    a = m.decls[0]
    st = a.body.stmts
    assert [type(s).__name__ for s in st] == [
        "Require", "LetStmt", "Pick", "Either", "IfStmt", "IfStmt", "Assert", "Assert", "Assign"]
    assert st[2].binder.name == "q" and sx(st[2].binder.domain) == "S"
    assert len(st[3].branches) == 3
    elif_ = st[4].else_.stmts[0]
    assert isinstance(elif_, ir.IfStmt) and sx(elif_.cond) == "b"
    assert elif_.else_.stmts[0].var == "x"
    assert st[5].else_.stmts == ()
    assert st[6].message is None and st[7].message == 'x is "big"'
    assert st[8].primed and st[8].var == "z"
    init = m.decls[1]
    assert [(s.var, s.primed) for s in init.body.stmts] == [("x", False), ("y", False)]


def test_comments_and_newlines_are_insignificant():
    a = parse("module M /* c */ def d = // x\n  1 +\n /* multi\n line */ 2\n")
    b = parse("module M def d = 1 + 2")
    assert sx(a.decls[0].body) == sx(b.decls[0].body) == "(+ 1 2)"


# --------------------------------------------------------------------------- syntax errors


def test_unexpected_token_lists_readable_expectations():
    e = syntax_error("module M\naction A { require x == }\n")
    d = e.diagnostics[0]
    assert d.message == "unexpected `}`; expected an expression"
    assert (d.span.line, d.span.col, d.span.end_col) == (2, 25, 26)


def test_unexpected_end_of_file():
    e = syntax_error("module M\naction A {\n  require x == 1\n")
    d = e.diagnostics[0]
    assert d.message.startswith("unexpected end of file; expected one of: `}`, a statement")
    assert (d.span.line, d.span.col) == (3, 17)


def test_unexpected_character():
    e = syntax_error("module M\nvar x: int #\n")
    assert e.diagnostics[0].message == "unexpected character `#`"
    assert (e.diagnostics[0].span.line, e.diagnostics[0].span.col) == (2, 12)


def test_keywords_are_reserved_but_init_is_a_name():
    e = syntax_error("module M\nvar module: int\n")
    assert e.diagnostics[0].message == "unexpected keyword `module`; expected a name"
    e = syntax_error("module M\ndef d = x + forall\n")
    assert "unexpected keyword `forall`" in e.diagnostics[0].message
    m = parse("module M\nenum E = init | other\ndef d = init\n")
    assert sx(m.decls[1].body) == "init"


def test_quantifier_operand_needs_parentheses_hint():
    e = syntax_error("module M\ndef d = x == forall y in S: p\n")
    d = e.diagnostics[0]
    assert d.message == "unexpected keyword `forall`; expected an expression"
    assert "parentheses" in d.hint
    e = syntax_error("module M\ndef d = 1 + if c then 1 else 2\n")
    assert "parentheses" in e.diagnostics[0].hint


def test_assignment_in_condition_hint():
    e = syntax_error("module M\naction A { require x = 1 }\n")
    assert "`==`" in e.diagnostics[0].hint


def test_record_keys_must_be_names():
    e = syntax_error("module M\ndef d = { a: 1, 2: 3 }\n")
    assert e.diagnostics[0].message.startswith("a record field name must be a plain name")
    assert e.diagnostics[0].span.col == 17


def test_several_syntax_errors_are_reported():
    e = syntax_error("""module M
var x int
init { x = 0 }
action A { x' = x + }
action B { x' = x }
invariant I [typing]: x >
""")
    assert [(d.span.line, d.code) for d in e.diagnostics] == [(2, "MC100"), (4, "MC100"), (6, "MC100")]
    assert e.render().endswith("3 errors")


def test_missing_module_header():
    e = syntax_error("models RM = {a}\n")
    assert e.diagnostics[0].message == "unexpected keyword `models`; expected `module`"
    e = syntax_error("")
    assert e.diagnostics[0].message == "unexpected end of file; expected `module`"


def test_string_outside_assert():
    e = syntax_error('module M\ndef d = "x"\n')
    assert e.diagnostics[0].message.startswith('unexpected string "x"')
