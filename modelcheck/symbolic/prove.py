"""Inductive invariants: ``modelcheck prove SPEC --invariant NAME``.

``NAME`` (an invariant of the spec) is *inductive* when

1. every initial state satisfies it (``init``),
2. every action preserves it: from any state that satisfies it (and the variables' types,
   and the state constraints), every step of the action reaches a state that satisfies it
   again (one obligation per action), and
3. no action fails from such a state (an assertion, a value leaving its ``lo..hi``
   range: what the explicit checker reports as a violation or a runtime error), and
4. it implies every other invariant of the spec, and every step from a state satisfying
   it satisfies every step property.

Then every reachable state satisfies it, and so every safety property: ``holds`` is a
proof for the configuration (the constants bound). With ``k`` > 1 the obligations are
k-induction's: no violation in the first k-1 steps from ``init``, and k consecutive
states satisfying the invariant are followed by one that does too.

With ``for_all_sizes`` (model-set names), those sets are uninterpreted sorts of any
finite size: ``holds`` is then a proof for every size at once. This is complete only in
the effectively propositional fragment (model values compared with ``==``, tested for
membership, quantified over); anything else on such a set (``size``, an ordered
iteration) is refused with MC501.

A failed obligation comes with a *counterexample to induction*: a state satisfying the
invariant and a step to one that does not, decoded into explicit states and checked
against the explicit successor function (a CTI the explicit model cannot take is a
disagreement between the backends, an internal error). Under ``for_all_sizes`` the CTI
is rebuilt at the size z3 chose, with the spec's sets bound to that many values.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from .. import ir
from ..diagnostics import Code, Diagnostic, SpecError
from ..result import Trace
from ..types import SeqT, Type
from ..values import show
from .encode import holds_slot_set
from .problem import Problem, Prop
from .sorts import DecodeError


@dataclass(frozen=True)
class Failure:
    """Why an obligation failed: the states (a trace: one state for ``init`` and
    ``implies``, two for an action or a step property, k+1 under k-induction), the
    conjuncts of the invariant false in the last state, and the values of their parts."""

    trace: Trace
    #: (conjunct text, instance text such as ``r=r2`` or "", [(sub-expression, value)])
    conjuncts: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
    #: the spec the states belong to (under --for-all-sizes: bound to the size z3 chose)
    spec: Any
    #: the sizes of the uninterpreted model sets in the counterexample
    sizes: dict = field(default_factory=dict)
    #: for an action: its parameters as z3 chose them
    params: tuple[tuple[str, str], ...] = ()
    #: for a failing action (``fails``): the explicit checker's message for the failure
    message: str = ""


@dataclass(frozen=True)
class Obligation:
    """One proof obligation: ``kind`` is ``init``, ``base`` (k-induction's first steps),
    ``action``, ``fails`` (an action's assertion or range, the ``--seq-bound`` and
    ``--set-bound`` included, or a sequence or set it builds beyond the slots),
    ``bound`` (init establishes the bounds: ``detail`` names them), ``implies`` (another
    invariant) or ``step`` (a step property)."""

    kind: str
    name: str
    verdict: str  # "holds" | "violated" | "unknown"
    seconds: float
    failure: Failure | None = None
    reason: str = ""
    #: for ``fails``: which assertion, or which variable's range
    detail: str = ""

    @property
    def title(self) -> str:
        return {"init": "init establishes it", "base": f"no violation in the first {self.name} steps",
                "action": f"{self.name} preserves it", "implies": f"it implies {self.name}",
                "step": f"its steps satisfy {self.name}",
                "fails": f"{self.name.partition('#')[0]}: {self.detail}",
                "bound": f"init establishes the types and the {self.detail or '--seq-bound'}"}[self.kind]


@dataclass(frozen=True)
class ProofResult:
    invariant: str
    cls: str
    verdict: str  # "holds" | "violated" | "undetermined"
    obligations: tuple[Obligation, ...]
    seconds: float
    k: int = 1
    for_all_sizes: tuple[str, ...] = ()
    seq_bound: int | None = None
    set_bound: int | None = None

    @property
    def exit_code(self) -> int:
        return {"holds": 0, "violated": 1, "undetermined": 3}[self.verdict]


def find_invariant(spec, name: str) -> ir.PropertyDecl:
    """The invariant ``name``: an ``invariant`` of the spec, or a ``def`` without
    parameters of type bool (an inductive invariant written for ``prove`` only, which
    ``check`` does not check as a property of its own)."""
    from ..types import BoolT

    invs = [p for p in spec.checked.properties if p.kind == "invariant"]
    for p in invs:
        if p.name == name:
            return p
    for d in spec.checked.defs:
        if d.name == name and not d.params and isinstance(spec.checked.types.get(d.body.id), BoolT):
            return ir.PropertyDecl(d.id, "invariant", d.name, None, d.body, d.id)
    names = ", ".join(p.name for p in invs) or "none"
    other = [p for p in spec.checked.properties if p.name == name]
    if other:
        what = f"`{name}` is a {other[0].kind} property, not an invariant"
    elif any(d.name == name for d in spec.checked.defs):
        what = f"`{name}` is an operator with parameters or not of type bool, not an invariant"
    else:
        what = f"no invariant `{name}`"
    raise SpecError([Diagnostic(Code.NOT_AN_INVARIANT, f"{what} in {spec.path} (its invariants: {names}; a "
                                f"`def` without parameters of type bool may be named too)")])


def check_decidable(spec, sets: tuple[str, ...]) -> None:
    """Refuse a --for-all-sizes name that is not a model set of the spec."""
    for s in sets:
        if s not in spec.checked.models:
            known = ", ".join(spec.checked.models) or "none"
            raise SpecError([Diagnostic(Code.NOT_DECIDABLE, f"--for-all-sizes {s}: not a model-value set of "
                                        f"{spec.path} (its model sets: {known})")])


def prove(spec, invariant: str, k: int = 1, for_all_sizes: tuple[str, ...] = (),
          time_limit: float | None = None, seq_bound: int | None = None,
          obligation_time_limit: float | None = None, set_bound: int | None = None) -> ProofResult:
    """``seq_bound``: assume every ``seq[T]`` of the state (declared without a bound) has at
    most that many elements. The bound becomes part of what is proven: init must establish
    it (obligation ``bound init``) and every action keep it (the ``fails`` range
    obligations), so ``holds`` still means every reachable state satisfies the invariant.
    ``obligation_time_limit``: seconds z3 may spend on each obligation (then ``unknown``).
    ``set_bound``: the same for every set over an infinite element type (at most that many
    elements; such sets are then in slot form, see :meth:`Sorts.slot_set`)."""
    started = time.monotonic()
    decl = find_invariant(spec, invariant)
    check_decidable(spec, for_all_sizes)
    if (seq_bound is not None or set_bound is not None) and k != 1:
        # k-induction's base case would have to check the bound on its first steps too
        raise ValueError("--seq-bound and --set-bound are supported with --k 1 only")
    pb = Problem(spec, frozenset(for_all_sizes), seq_bound, set_bound)
    inv = Prop(decl)
    obligations: list[Obligation] = []

    def left() -> float | None:
        return None if time_limit is None else time_limit - (time.monotonic() - started)

    def run(kind: str, name: str, action: str | None = None) -> Obligation:
        t0 = time.monotonic()
        lim = left()
        if lim is not None and lim <= 0:
            return Obligation(kind, name, "unknown", 0.0, reason="time limit")
        if obligation_time_limit is not None:
            lim = obligation_time_limit if lim is None else min(lim, obligation_time_limit)
        states, assertions, bad, params = _formulas(pb, kind, name, k, inv.name, action)
        s = z3.Solver()
        if lim is not None:
            s.set("timeout", max(1, int(lim * 1000)))
        s.add(assertions)
        s.add(bad)
        try:
            r = s.check()
        except z3.Z3Exception as e:  # z3 gave up inside a theory: not a verdict
            return Obligation(kind, name, "unknown", time.monotonic() - t0, reason=f"z3 failed: {e}")
        secs = time.monotonic() - t0
        if r == z3.unsat:
            return Obligation(kind, name, "holds", secs)
        if r == z3.unknown:
            return Obligation(kind, name, "unknown", secs, reason=s.reason_unknown())
        try:
            failure = _failure(pb, s.model(), states, inv, kind, name, params, for_all_sizes,
                               lambda p2: _formulas(p2, kind, name, k, inv.name, action))
        except DecodeError as e:
            # z3's state is no state of the spec (an infinite set, say): not a verdict
            return Obligation(kind, name, "unknown", time.monotonic() - t0,
                              reason=f"z3's counterexample is no state of the spec: {_clip(str(e))}")
        return Obligation(kind, name, "violated", time.monotonic() - t0, failure)

    # 1. init (and, under k-induction, no violation in the first k-1 steps)
    obligations.append(run("init", "init") if k == 1 else run("base", str(k - 1)))
    if seq_bound is not None or set_bound is not None:
        bounds = " and ".join(b for b, v in (("--seq-bound", seq_bound), ("--set-bound", set_bound)) if v is not None)
        obligations.append(replace(run("bound", "init"), detail=bounds))
    # 2. every action preserves it; and an assertion, or a value leaving its range, is a
    # violation too: no action may fail from a state satisfying the invariant
    pre, post = pb.state("p0"), pb.state("q")
    for a in pb.actions:
        obligations.append(run("action", a.name, a.name))
        for i, ob in enumerate(pb.action(a, pre, post, "step").obligations):
            vt = pb.enc.var_types[pb.checked.var_index(ob.name)] if ob.kind == "range" else None
            detail = (f"{ob.name} holds" if ob.kind == "assertion" else
                      f"every sequence it builds fits {pb.enc.slots} slots" if ob.kind == "capacity" else
                      f"every set it builds fits {set_bound} slots" if ob.kind == "set-capacity" else
                      f"{ob.name} stays in {vt}" + (f" with sequences at most {seq_bound} long"
                                                    if seq_bound is not None and _unbounded_seq(vt) else "")
                      + (f" with sets at most {set_bound} large"
                         if set_bound is not None and holds_slot_set(vt, pb.enc.sorts) else ""))
            obligations.append(replace(run("fails", f"{a.name}#{i}", a.name), detail=detail))
    # 3. it implies the other invariants and the step properties
    for p in pb.invariants:
        if p.name != inv.name:
            obligations.append(run("implies", p.name))
    for p in pb.steps:
        obligations.append(run("step", p.name))
    verdicts = {o.verdict for o in obligations}
    verdict = "violated" if "violated" in verdicts else "undetermined" if "unknown" in verdicts else "holds"
    return ProofResult(inv.name, inv.cls, verdict, tuple(obligations), time.monotonic() - started, k,
                       tuple(for_all_sizes), seq_bound, set_bound)


def _clip(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _unbounded_seq(t) -> bool:
    """``t`` contains a ``seq[T]`` declared without a bound."""
    if isinstance(t, SeqT) and t.max_len is None:
        return True
    if dataclasses.is_dataclass(t):
        for f in dataclasses.fields(t):
            v = getattr(t, f.name)
            for x in (v if isinstance(v, tuple) else (v,)):
                for y in (x if isinstance(x, tuple) else (x,)):
                    if isinstance(y, Type) and _unbounded_seq(y):
                        return True
    return False


# --------------------------------------------------------------------------- failures


def _hypothesis(pb: Problem, k: int, inv: Prop) -> tuple[list, list]:
    """The k pre-states and what is assumed of them (types, constraints, the invariant,
    linked by steps): the same for every obligation of a proof, so encoded once per
    :class:`Problem` (it is the bulk of the encoding: at RM = 50 the invariant alone
    unrolls to hundreds of conjuncts)."""
    key = ("hypothesis", k, inv.name)
    if key not in pb.cache:
        p = [pb.state(f"p{i}") for i in range(k)]
        hyp = []
        for i, st in enumerate(p):
            hyp += pb.enc.well_formed(st) + pb.within_constraints(st) + [pb.holds(inv, st)]
            if i > 0:
                hyp.append(z3.Or([pb.action(a, p[i - 1], st, f"h{i}").formula for a in pb.actions]))
        pb.cache[key] = (p, hyp)
    p, hyp = pb.cache[key]
    return p, list(hyp)


def _formulas(pb: Problem, kind: str, name: str, k: int, inv_name: str, action: str | None):
    """One obligation as formulas over ``pb``: (the states, the assertions, the violation,
    the action's parameters); satisfiable means the obligation fails. Also used to rebuild
    a counterexample over a finite rebinding of the spec (``--for-all-sizes``)."""
    inv = Prop(find_invariant(pb.spec, inv_name))
    if kind == "bound":
        # init's values have the types and the bound, and no sequence init builds needs
        # more than the slots
        s0 = pb.state("s0")
        base = [pb.init(s0)] + pb.within_constraints(s0)
        return [s0], base, z3.Or([z3.Not(z3.And(pb.enc.well_formed(s0, canonical=False)))]
                                 + pb.enc.init_capacity), ()
    if kind in ("init", "base"):
        path = [pb.state("s0")]
        base = [pb.init(path[0])] + pb.within_constraints(path[0])
        for i in range(1, k):
            nxt = pb.state(f"s{i}")
            base.append(z3.Or([pb.action(a, path[-1], nxt, f"b{i}").formula for a in pb.actions]))
            base.extend(pb.within_constraints(nxt))
            path.append(nxt)
        return path, base, z3.Or([z3.Not(pb.holds(inv, st)) for st in path]), ()
    p, hyp = _hypothesis(pb, k, inv)
    q = pb.state("q")
    if kind == "fails":
        a = next(x for x in pb.actions if x.name == action)
        enc = pb.action(a, p[-1], q, "step")
        ob = enc.obligations[int(name.partition("#")[2])]
        return p, hyp + [ob.formula], z3.BoolVal(True), enc.params
    if kind == "action":
        a = next(x for x in pb.actions if x.name == action)
        enc = pb.action(a, p[-1], q, "step")
        return (p + [q], hyp + [enc.formula] + pb.within_constraints(q) + pb.enc.well_formed(q),
                z3.Not(pb.holds(inv, q)), enc.params)
    one = p[-1]
    base = pb.enc.well_formed(one) + pb.within_constraints(one) + [pb.holds(inv, one)]
    if kind == "implies":
        other = next(x for x in pb.invariants if x.name == name)
        return [one], base, z3.Not(pb.holds(other, one)), ()
    other = next(x for x in pb.steps if x.name == name)
    trans = z3.Or([pb.action(a, one, q, "sp").formula for a in pb.actions])
    return [one, q], base + [trans] + pb.within_constraints(q), pb.step_violated(other, one, q), ()


def _failure(pb: Problem, m: z3.ModelRef, states: list, inv: Prop, kind: str, name: str, params,
             for_all_sizes, rebuild) -> Failure:
    sizes = {}
    if for_all_sizes:
        # rebuild the counterexample at the size z3 chose, with finite sets
        for set_name in for_all_sizes:
            u = m.get_universe(pb.enc.sorts.sort(pb.checked.models[set_name]))
            sizes[set_name] = max(1, len(u) if u is not None else 1)
        # the smallest size that has a counterexample (z3's own choice may be larger)
        for size in range(1, max(sizes.values()) + 4):
            bigger = {n: size for n in sizes}
            pb2 = Problem(pb.spec.bind({**_const_values(pb.spec), **bigger}), seq_bound=pb.enc.seq_bound,
                          set_bound=pb.enc.set_bound)
            states2, assertions, bad, params2 = rebuild(pb2)
            s = z3.Solver()
            s.add(assertions)
            s.add(bad)
            if s.check() == z3.sat:
                inv2 = Prop(find_invariant(pb2.spec, inv.name))
                return replace(_failure(pb2, s.model(), states2, inv2, kind, name, params2, (), None), sizes=bigger)
        raise RuntimeError(f"z3 found a counterexample with {sizes} that could not be rebuilt with finite sets")
    if kind == "bound":
        # an initial state with a sequence beyond the bound (z3's may not fit the slots
        # to be decoded: the explicit initial states are searched for one)
        model = pb.spec.model
        for st in model.initial_states():
            for i, ((vname, t), v) in enumerate(zip(pb.checked.variables, st)):
                beyond = pb.beyond(t, v)
                if beyond is not None:
                    return Failure(Trace((st,), (None,)), (), pb.spec, sizes, (),
                                   f"init makes {vname} {model.show_value(i, v)}: {beyond}")
    decoded = [pb.decode(m, s) for s in states]
    labels: list = [None]
    model = pb.spec.model
    shown_params = tuple((n, show(pb.enc.sorts.decode(t, x, m), t)) for n, x, t in params)
    for i, (a, b) in enumerate(zip(decoded, decoded[1:])):
        last = i == len(decoded) - 2 and kind == "action"
        labels.append(pb.label_of(model, a, b, name if last else None, shown_params if last else ()))
    trace = Trace(tuple(decoded), tuple(labels))
    message = ""
    if kind == "fails":  # the explicit model must fail there too (else: a disagreement)
        action, _, index = name.partition("#")
        ob = pb.action(next(a for a in pb.actions if a.name == action), states[-1], pb.state("q"),
                       "step").obligations[int(index)]
        step = (None if (pb.enc.seq_bound is None and pb.enc.set_bound is None) or ob.kind == "assertion"
                else pb.beyond_bound(decoded[-1], action))
        if step is not None:  # an explicit step to a sequence longer than the bound
            label, nxt, message = step
            trace = Trace(trace.states + (nxt,), trace.labels + (label,))
        elif ob.kind in ("capacity", "set-capacity"):  # a collection built on the way, beyond the slots
            message = ob.message
        else:
            _, message = pb.failing_label(decoded[-1])
    target = inv
    if kind == "implies":
        target = next(x for x in pb.invariants if x.name == name)
    conj = _explain(pb, m, states[-1], target) if kind not in ("step", "fails", "bound") else ()
    return Failure(trace, conj, pb.spec, sizes, shown_params, message)


def _const_values(spec) -> dict:
    """The spec's constants as :func:`modelcheck.api.load` takes them."""
    out = {}
    for name, v in spec.checked.consts.items():
        if name in spec.checked.models:
            out[name] = tuple(spec.checked.models[name].names)
        else:
            out[name] = v
    return out


def conjuncts(pb: Problem, body: ir.Node) -> list[ir.Node]:
    """The top-level conjuncts of ``body``, looking through ``and`` and 0-ary operators."""
    out = []
    stack = [body]
    while stack:
        e = stack.pop(0)
        if isinstance(e, ir.Binary) and e.op == "and":
            stack[:0] = [e.left, e.right]
            continue
        r = pb.checked.refs.get(e.id) if isinstance(e, (ir.Name, ir.Call)) else None
        if r is not None and r.kind == "def" and not getattr(e, "args", ()):
            stack[:0] = [pb.enc.defs[r.name].body]
            continue
        out.append(e)
    return out


def source_text(pb: Problem, e: ir.Node) -> str:
    sp = pb.checked.module.spans.get(e.id)
    if sp is None:
        return "?"
    lines = ir.source_of(pb.checked.module, sp.file).splitlines()
    if sp.line == sp.end_line:
        text = lines[sp.line - 1][sp.col - 1: sp.end_col - 1]
    else:
        text = " ".join([lines[sp.line - 1][sp.col - 1:]] + [x.strip() for x in lines[sp.line: sp.end_line - 1]]
                        + [lines[sp.end_line - 1][: sp.end_col - 1].strip()])
    return " ".join(text.split())


_CONNECTIVES = ("and", "or", "implies", "iff")


def _explain(pb: Problem, m: z3.ModelRef, s: list, inv: Prop):
    """The invariant's conjuncts false in ``s``: for each, its text, the part of it that
    is false (through ``and``, ``implies``, ``not``, and the instance of a ``forall``
    that fails or of an ``exists`` that holds under a ``not``), and the values of that
    part's pieces."""
    out = []
    env = {"$s": s, "$p": None}

    def value(e, env2) -> bool:
        return z3.is_true(m.eval(pb.enc.expr(e, env2), model_completion=True))

    for c in conjuncts(pb, inv.decl.body):
        if value(c, env):
            continue
        body, env2, inst = c, env, []
        want = False  # the value of `body` that makes the conjunct false
        while True:
            if isinstance(body, ir.Unary) and body.op == "not":
                body, want = body.arg, not want
                continue
            if isinstance(body, ir.Binary) and body.op == ("or" if want else "and"):
                body = body.left if value(body.left, env2) == want else body.right
                continue
            if isinstance(body, ir.Binary) and body.op == "implies" and not want:
                body = body.right
                continue
            if isinstance(body, ir.Quant) and body.kind == ("exists" if want else "forall"):
                found = _instance(pb, m, body, env2, want)
                if found is None:
                    break
                env2, names = found
                inst.append(names)
                body = body.body
                continue
            break
        parts = [(f"{source_text(pb, body)}", "true" if want else "false")] if body is not c else []
        seen = {source_text(pb, body)}
        for sub in ir.walk_exprs(body):
            if isinstance(sub, (ir.Lit, ir.Quant, ir.SetComp, ir.FunComp, ir.SeqComp, ir.Let)):
                continue
            if isinstance(sub, ir.Unary) or (isinstance(sub, ir.Binary) and sub.op in _CONNECTIVES):
                continue
            r = pb.checked.refs.get(sub.id)
            if r is not None and r.kind in ("const", "ctor", "typeset", "local"):
                continue
            text = source_text(pb, sub)
            if text in seen or len(parts) >= 12:
                continue
            t = pb.checked.types.get(sub.id)
            try:
                shown = show(pb.enc.sorts.decode(t, pb.enc.expr(sub, env2), m), t)
            except Exception:  # noqa: BLE001 - a part under a binder of its own is not shown
                continue
            seen.add(text)
            parts.append((text, shown))
        out.append((source_text(pb, c), ", ".join(inst), tuple(parts)))
    return tuple(out)


def _instance(pb: Problem, m: z3.ModelRef, q: ir.Quant, env: dict, want: bool):
    """The binding of ``q``'s binders (finite domains only) under which its body is
    ``want`` in ``m``: (the environment, ``"x=v, y=w"``), or None."""
    import itertools

    doms = []
    for b in q.binders:
        et = pb.enc.elem_type(b.domain)
        if not pb.enc.sorts.finite(et):
            return None
        doms.append([(v, et) for v in pb.enc.sorts.values(et)])
    for combo in itertools.product(*doms):
        env2 = dict(env)
        ok = True
        for b, (v, et) in zip(q.binders, combo):
            term = pb.enc.sorts.encode(et, v)
            if not z3.is_true(m.eval(pb.enc.member(b.domain, term, env2), True)):
                ok = False
                break
            env2[b.name] = term
        if ok and z3.is_true(m.eval(pb.enc.expr(q.body, env2), True)) == want:
            return env2, ", ".join(f"{b.name}={show(v, et)}" for b, (v, et) in zip(q.binders, combo))
    return None
