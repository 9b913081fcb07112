"""Symmetry reduction: one canonical representative per orbit of states.

Some model-value sets (:class:`~modelcheck.types.ModelT`, values ``0..n-1``) are declared
symmetric. A tuple of permutations, one per symmetric set, maps a state to a state; the
explorer stores only ``canon(state)``, a representative of the state's orbit, so each
orbit is explored once. The contract of :func:`make_canonicalizer`:

* **exact**: ``canon(s1) == canon(s2)`` iff ``s2 = pi(s1)`` for some ``pi``, and
  ``canon(s)`` is itself a member of the orbit of ``s`` (a real state, same layout);
* **deterministic**: no order is ever taken from hashing or from iterating a set;
  every ordering decision sorts *keys* (below), which are compared natively;
* **fast**: everything is specialised to the state's types once, as generated Python
  source (:class:`_Gen`); values of types that cannot contain a symmetric value are
  passed through untouched.

Keys
    ``key_T(x, m)`` turns a value ``x`` of type ``T`` into a natively, totally ordered
    structure of ints, strs, bools and tuples, in which every symmetric value ``w`` of
    set ``k`` is written as ``m[k][w]``: sets, maps, bags and functions over a symmetric
    domain become sorted tuples of their (keyed) items, a constructor with arguments
    becomes ``(name, keys...)`` and a nullary one ``(name,)``. With the identity for
    ``m`` a key is a type-specialised stand-in for :func:`~modelcheck.values.vkey`
    (equal keys iff equal values, and a deterministic total order); with ``m`` a
    *colouring* it forgets the identity of the values and keeps only their colours, so
    it is invariant: ``key(pi(x), m o pi^-1) == key(x, m)``.

Atoms
    A state is cut, by type alone, into *sites*: the paths reached from the variables
    through tuples and records. A site holding a set, map, bag, sequence or function is
    a collection whose *atoms* are its elements (sets), its ``(key, value)`` items (maps,
    bags) or its ``(index, value)`` pairs (sequences, functions); any other site (a
    symmetric value, a constructor with arguments) is a single atom. The atoms of
    ``pi(s)`` are the images of the atoms of ``s``, and a state is determined by its atoms
    (together with the parts that mention no symmetric set, which ``pi`` leaves alone).

Fast path: unary atoms
    When no atom can mention two symmetric values (TwoPhase: ``rmState[r]``,
    ``r in tmPrepared``, ``Prepared(r) in msgs``), the *signature* of a value ``v`` is,
    per site, the sorted list of keys of the atoms mentioning ``v`` with ``v`` written as
    a marker. Values are sorted by signature and relabelled by rank. Exactness: (1) the
    signature of ``pi(v)`` in ``pi(s)`` equals that of ``v`` in ``s``, so both states give
    the same sorted signature list; (2) if ``u`` and ``v`` tie, the transposition
    ``(u v)`` fixes ``s``: it swaps the ``u``-atoms with the ``v``-atoms, which correspond
    one to one through their equal marked keys, and fixes every other atom, so it fixes
    the atom multiset and hence the state. Two rank labellings of ``s`` and ``pi(s)``
    therefore differ only by permutations inside tie classes, which fix the state, and
    give the same image. One pass over the state, one sort per set, one permutation
    (none when the state already is its representative).

Small groups: every permutation, pruned variable by variable
    When the group is small (at most :data:`SMALL_GROUP` permutations, e.g. 3 servers:
    6, 4 servers: 24) and some atom mentions two symmetric values, the representative is
    ``pi(s)`` for the ``pi`` whose key ``key(s, pi)`` is least, where the key of a state
    is the tuple of its variables' keys. Since ``key(s, pi) == key(pi(s), id)`` and
    ``key(., id)`` is injective, the least key names one state, a function of the orbit
    only. The keys are compared variable by variable (cheap variables first): after each
    variable only the permutations whose keys so far are least survive, and the search
    stops when one is left; permutations still tied at the end give the same state.

General path: individualisation and refinement (as in nauty)
    Otherwise (pointers ``RM -> RM``, messages ``(from, to)``, several sets in one atom) a
    colouring of each symmetric set is *refined* to a fixpoint: the new colour of ``v`` is
    the rank of ``(colour(v), sorted[(site, key(atom, colours with v as marker)) for
    each atom mentioning v])``. Refinement is equivariant and only splits colour classes
    (*cells*), keeping their order. Then

    * if every cell of two or more values is fixed by the symmetric group of the cell
      (checked on the generating adjacent transpositions: apply, compare), every
      labelling compatible with the ordered cells gives the same image, so any one is the
      answer for this subtree;
    * otherwise the smallest such non-fixed cell (ties: first set, first colour) is
      chosen, each of its values in turn gets a colour of its own (*individualised*),
      the colouring is refined again and the search recurses; the answer is the leaf
      image with the least key.

    Pruning, by automorphisms of the state: a child ``w`` is skipped when some
    automorphism fixing the individualised values on the path maps an explored sibling
    ``u`` to ``w`` (it maps ``u``'s subtree onto ``w``'s, leaf images included). The
    automorphisms known are the transpositions ``(u w)`` that fix the state (checked
    directly) and ``other^-1 o this`` whenever two leaves give the same image; on such a
    find, the search also abandons the shallowest node of the current path that has just
    become equivalent to an explored sibling.

    Exactness: every choice (cells, fixedness, the chosen cell) is a function of the
    ordered colouring, which is equivariant, so the search tree of ``pi(s)`` is the
    ``pi``-image of the tree of ``s`` and their leaves relabel ``s`` and ``pi(s)`` onto the
    same set of images. Pruning drops only subtrees whose images all occur in subtrees
    explored earlier, so the set of images, hence its least element, depends on the orbit
    only. Each image is ``lambda(s)`` for a relabelling ``lambda``, so it is in the orbit.
    Worst case exponential (highly regular structures, e.g. ``k`` disjoint cycles of one
    length), but refinement splits almost every cell in practice.

Soundness of using the representatives (actions and properties invariant under the
permutations) is the caller's business; this module only computes them.

Depends on :mod:`modelcheck.types` and :mod:`modelcheck.values`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Sequence

from .types import (
    INT,
    BagT,
    BoolT,
    EnumT,
    FunT,
    IntT,
    MapT,
    ModelT,
    RecordT,
    SeqT,
    SetT,
    TupleT,
    TVar,
    Type,
    mentions,
)
from .values import FMap

__all__ = ["make_canonicalizer", "make_permuter"]

State = tuple
Variables = Sequence[tuple[str, Type]]
Canonicalizer = Callable[[State], State]
Permuter = Callable[[State, tuple[int, ...]], State]

#: the colour that marks "the value whose signature is being computed"
_MARK = -1

#: groups of at most this many permutations are searched exhaustively (see the docstring)
SMALL_GROUP = 120


class _Gen:
    """Python source generators specialised to one tuple of symmetric (``active``) sets.

    Expression generators take the source text ``x`` of a cheap expression (a name or a
    chain of subscripts); it may be evaluated more than once. In generated code, set
    ``k`` is permuted with ``p{k}`` (value -> new value) and ``q{k}`` (its inverse),
    keyed with the colour list ``m{k}``, and ranges over ``R{k}``."""

    def __init__(self, active: tuple[ModelT, ...]):
        self.active = active
        self.index = {m: k for k, m in enumerate(active)}
        self._fresh = 0
        self._mentions: dict[Type, bool] = {}

    def var(self, base: str = "e") -> str:
        self._fresh += 1
        return f"_{base}{self._fresh}"

    def sym(self, t: Type) -> int | None:
        return self.index.get(t) if isinstance(t, ModelT) else None

    def mentions(self, t: Type) -> bool:
        r = self._mentions.get(t)
        if r is None:
            if isinstance(t, TVar):
                raise TypeError(f"unresolved type variable {t} in a state type")
            r = self._mentions[t] = any(mentions(t, m) for m in self.active)
        return r

    def sets_in(self, t: Type) -> set[int]:
        return {k for m, k in self.index.items() if mentions(t, m)}

    def native(self, t: Type) -> bool:
        """Whether a value of ``t`` is its own key (ordered natively, no symmetric value)."""
        if isinstance(t, (BoolT, IntT)):
            return True
        if isinstance(t, ModelT):
            return t not in self.index
        if isinstance(t, EnumT):
            return t.is_plain
        if isinstance(t, TupleT):
            return all(self.native(e) for e in t.elems)
        if isinstance(t, RecordT):
            return all(self.native(f) for _, f in t.fields)
        if isinstance(t, SeqT):
            return self.native(t.elem)
        if isinstance(t, FunT):
            return t.dom not in self.index and self.native(t.cod)
        return False

    def occ(self, t: Type) -> int:
        """How many symmetric values one value of ``t`` may contain, capped at 2."""
        if not self.mentions(t):
            return 0
        if self.sym(t) is not None:
            return 1
        if isinstance(t, (TupleT, RecordT)):
            comps = t.elems if isinstance(t, TupleT) else tuple(f for _, f in t.fields)
            return min(2, sum(self.occ(c) for c in comps))
        if isinstance(t, EnumT):
            return max(min(2, sum(self.occ(a) for a in c.args)) for c in t.constructors)
        return 2

    # -- expressions -------------------------------------------------------------------

    @staticmethod
    def _comps(t: TupleT | RecordT) -> tuple[Type, ...]:
        return t.elems if isinstance(t, TupleT) else tuple(f for _, f in t.fields)

    def perm(self, t: Type, x: str) -> str:
        """The image of ``x`` under the permutations ``p{k}``."""
        if not self.mentions(t):
            return x
        k = self.sym(t)
        if k is not None:
            return f"p{k}[{x}]"
        if isinstance(t, (TupleT, RecordT)):
            return "(" + "".join(self.perm(c, f"{x}[{i}]") + ", " for i, c in enumerate(self._comps(t))) + ")"
        if isinstance(t, EnumT):
            expr = x
            for c in reversed(t.constructors):
                if any(self.mentions(a) for a in c.args):
                    args = "".join(self.perm(a, f"{x}[{i + 1}]") + ", " for i, a in enumerate(c.args))
                    expr = f"(({c.name!r}, {args}) if {x}[0] == {c.name!r} else {expr})"
            return f"({x} if {x}.__class__ is str else {expr})"
        if isinstance(t, SetT):
            k = self.sym(t.elem)
            if k is not None:
                return f"frozenset(map(p{k}.__getitem__, {x}))"
            e = self.var()
            return f"frozenset([{self.perm(t.elem, e)} for {e} in {x}])"
        if isinstance(t, SeqT):
            e = self.var()
            return f"tuple([{self.perm(t.elem, e)} for {e} in {x}])"
        if isinstance(t, FunT):
            k = self.sym(t.dom)
            if k is None:
                e = self.var()
                return f"tuple([{self.perm(t.cod, e)} for {e} in {x}])"
            if not self.mentions(t.cod):
                return f"tuple(map({x}.__getitem__, q{k}))"
            i = self.var("i")
            return f"tuple([{self.perm(t.cod, f'{x}[{i}]')} for {i} in q{k}])"
        if isinstance(t, MapT):
            e = self.var()
            return f"FMap({{{self.perm(t.key, e + '[0]')}: {self.perm(t.val, e + '[1]')} for {e} in {x}.items()}})"
        if isinstance(t, BagT):
            e = self.var()
            return f"FMap({{{self.perm(t.elem, e + '[0]')}: {e}[1] for {e} in {x}.items()}})"
        raise TypeError(f"cannot permute a value of type {t}")

    def key(self, t: Type, x: str, marked: bool = False, ctors: dict[str, str] | None = None) -> str:
        """The key of ``x`` (see the module docstring), colouring set ``k`` by ``m{k}``.

        ``marked``: every symmetric value in ``x`` is the marked one (a unary atom), so
        its colour is the constant mark. ``ctors``: sub-expressions of ``x`` already
        known to hold a given constructor (inside the branches :meth:`find` emits)."""
        if self.native(t):
            return x
        k = self.sym(t)
        if k is not None:
            return repr(_MARK) if marked else f"m{k}[{x}]"
        if isinstance(t, (TupleT, RecordT)):
            return "(" + "".join(
                self.key(c, f"{x}[{i}]", marked, ctors) + ", " for i, c in enumerate(self._comps(t))
            ) + ")"
        if isinstance(t, EnumT):
            known = ctors.get(x) if ctors else None
            expr = None
            for c in reversed(t.constructors):
                if c.args and known in (None, c.name):
                    args = "".join(self.key(a, f"{x}[{i + 1}]", marked, ctors) + ", " for i, a in enumerate(c.args))
                    branch = f"({c.name!r}, {args})"
                    expr = branch if expr is None else f"({branch} if {x}[0] == {c.name!r} else {expr})"
            return expr if known else f"(({x},) if {x}.__class__ is str else {expr})"
        if isinstance(t, SetT):
            e = self.var()
            return f"tuple(sorted([{self.key(t.elem, e)} for {e} in {x}]))"
        if isinstance(t, SeqT):
            e = self.var()
            return f"tuple([{self.key(t.elem, e)} for {e} in {x}])"
        if isinstance(t, FunT):
            k = self.sym(t.dom)
            e = self.var()
            if k is None:
                return f"tuple([{self.key(t.cod, e)} for {e} in {x}])"
            return f"tuple(sorted([(m{k}[{e}[0]], {self.key(t.cod, e + '[1]')}) for {e} in enumerate({x})]))"
        if isinstance(t, MapT):
            e = self.var()
            return f"tuple(sorted([({self.key(t.key, e + '[0]')}, {self.key(t.val, e + '[1]')}) for {e} in {x}.items()]))"
        if isinstance(t, BagT):
            e = self.var()
            return f"tuple(sorted([({self.key(t.elem, e + '[0]')}, {e}[1]) for {e} in {x}.items()]))"
        raise TypeError(f"no key for a value of type {t}")

    # -- statements --------------------------------------------------------------------

    def find(self, t: Type, x: str, emit: Callable[..., list[str]], ind: str, ctors: dict[str, str]) -> list[str]:
        """Statements calling ``emit(k, w, ind, ctors)`` for the one symmetric value ``w``
        (of set ``k``) in ``x``, if any; ``t`` must be unary (``occ(t) <= 1``). ``ctors``
        tells ``emit`` which constructors the enclosing branches have matched."""
        if not self.mentions(t):
            return []
        k = self.sym(t)
        if k is not None:
            return emit(k, x, ind, ctors)
        if isinstance(t, (TupleT, RecordT)):
            return [s for i, c in enumerate(self._comps(t)) for s in self.find(c, f"{x}[{i}]", emit, ind, ctors)]
        if isinstance(t, EnumT):
            lines = [f"{ind}if {x}.__class__ is not str:"]
            kw = "if"
            for c in t.constructors:
                for i, a in enumerate(c.args):
                    if self.mentions(a):
                        lines.append(f"{ind}    {kw} {x}[0] == {c.name!r}:")
                        lines += self.find(a, f"{x}[{i + 1}]", emit, ind + "        ", {**ctors, x: c.name})
                        kw = "elif"
            return lines
        raise AssertionError(f"{t} is not unary")

    def determined(self, t: Type) -> bool:
        """Whether a value of ``t`` is fixed by the one symmetric value it holds (so a
        set of them holds at most one per symmetric value, e.g. ``Prepared(RM)``)."""
        if self.sym(t) is not None:
            return True
        if isinstance(t, EnumT):
            with_args = [c for c in t.constructors if c.args]
            return len(with_args) == 1 and len(with_args[0].args) == 1 and self.determined(with_args[0].args[0])
        return False

    def collect(self, t: Type, x: str, ind: str) -> list[str]:
        """Statements adding every symmetric value in ``x`` to the set ``o{k}``."""
        if not self.mentions(t):
            return []
        k = self.sym(t)
        if k is not None:
            return [f"{ind}o{k}.add({x})"]
        if isinstance(t, (TupleT, RecordT)):
            return [s for i, c in enumerate(self._comps(t)) for s in self.collect(c, f"{x}[{i}]", ind)]
        if isinstance(t, EnumT):
            lines = [f"{ind}if {x}.__class__ is not str:"]
            kw = "if"
            for c in t.constructors:
                body = [s for i, a in enumerate(c.args) for s in self.collect(a, f"{x}[{i + 1}]", ind + "        ")]
                if body:
                    lines.append(f"{ind}    {kw} {x}[0] == {c.name!r}:")
                    lines += body
                    kw = "elif"
            return lines
        e = self.var()
        if isinstance(t, (SetT, SeqT)):
            body = self.collect(t.elem, e, ind + "    ")
            return [f"{ind}for {e} in {x}:"] + body
        if isinstance(t, FunT):
            k = self.sym(t.dom)
            lines = [] if k is None else [f"{ind}o{k}.update(R{k})"]
            body = self.collect(t.cod, e, ind + "    ")
            return lines + ([f"{ind}for {e} in {x}:"] + body if body else [])
        if isinstance(t, MapT):
            body = self.collect(t.key, e + "[0]", ind + "    ") + self.collect(t.val, e + "[1]", ind + "    ")
            return [f"{ind}for {e} in {x}.items():"] + body
        if isinstance(t, BagT):
            return [f"{ind}for {e} in {x}:"] + self.collect(t.elem, e, ind + "    ")
        raise TypeError(f"cannot walk a value of type {t}")


class _Site:
    """A place in the state holding atoms: a collection (``coll``: iterate ``it`` to get
    atoms of type ``atom``) or a single atom (the value of ``expr``)."""

    __slots__ = ("sid", "expr", "t", "coll", "it", "atom")

    def __init__(self, sid: int, expr: str, t: Type, coll: bool, it: str, atom: Type):
        self.sid, self.expr, self.t, self.coll, self.it, self.atom = sid, expr, t, coll, it, atom


def _sites(gen: _Gen, variables: Variables) -> list[_Site]:
    out: list[_Site] = []

    def walk(t: Type, x: str) -> None:
        if not gen.mentions(t):
            return
        if isinstance(t, (TupleT, RecordT)):
            for i, c in enumerate(gen._comps(t)):
                walk(c, f"{x}[{i}]")
            return
        sid = len(out)
        if isinstance(t, SetT):
            out.append(_Site(sid, x, t, True, x, t.elem))
        elif isinstance(t, (SeqT, FunT)):
            dom = t.dom if isinstance(t, FunT) else INT
            elem = t.cod if isinstance(t, FunT) else t.elem
            out.append(_Site(sid, x, t, True, f"enumerate({x})", TupleT((dom, elem))))
        elif isinstance(t, MapT):
            out.append(_Site(sid, x, t, True, f"{x}.items()", TupleT((t.key, t.val))))
        elif isinstance(t, BagT):
            out.append(_Site(sid, x, t, True, f"{x}.items()", TupleT((t.elem, INT))))
        else:  # a symmetric value or a constructor with arguments
            out.append(_Site(sid, x, t, False, "", t))

    for i, (_, t) in enumerate(variables):
        walk(t, f"v{i}")
    return out


def _unpack(variables: Variables) -> str:
    return "(" + "".join(f"v{i}, " for i in range(len(variables))) + ") = state"


def _compile(src: str, name: str, env: dict[str, Any]) -> Callable:
    ns: dict[str, Any] = {"FMap": FMap, **env}
    exec(compile(src, f"<modelcheck.symmetry:{name}>", "exec"), ns)
    fn = ns[name]
    fn.source = src
    return fn


def _permute_src(gen: _Gen, variables: Variables, name: str) -> str:
    """``name(state, p0, q0, p1, q1, ...)``: the image of ``state``."""
    params = "".join(f", p{k}, q{k}" for k in range(len(gen.active)))
    ret = "(" + "".join(gen.perm(t, f"v{i}") + ", " for i, (_, t) in enumerate(variables)) + ")"
    return f"def {name}(state{params}):\n    {_unpack(variables)}\n    return {ret}\n"


def _inverse(perm) -> list[int]:
    inv = [0] * len(perm)
    for i, j in enumerate(perm):
        inv[j] = i
    return inv


def make_permuter(variables: Variables, model: ModelT) -> Permuter:
    """``permute(state, perm)``: the state with each value ``i`` of ``model`` replaced by
    ``perm[i]`` (positions of functions over ``model`` move accordingly)."""
    gen = _Gen((model,))
    n = len(model.names)
    fn = _compile(_permute_src(gen, variables, "permute"), "permute", {})

    def permute(state: State, perm: tuple[int, ...]) -> State:
        if len(perm) != n or sorted(perm) != list(range(n)):
            raise ValueError(f"not a permutation of {model.name}: {perm!r}")
        return fn(state, perm, _inverse(perm))

    permute.source = fn.source  # type: ignore[attr-defined]
    return permute


def make_canonicalizer(variables: Variables, symmetric: Sequence[ModelT], method: str = "auto") -> Canonicalizer:
    """``canon(state)``: the representative of the state's orbit under permutations of the
    ``symmetric`` sets (see the module docstring for the algorithm and its contract).

    Sets of fewer than two values, and sets no variable can hold, are ignored; when none
    is left the identity is returned. A state that is its own representative may be
    returned as the same object. Generated code keeps its source on ``canon.source``.

    ``method``: ``"auto"`` (unary fast path when it applies, else the small-group search
    for groups of at most :data:`SMALL_GROUP` permutations, else refinement), or
    ``"small"`` / ``"general"`` to force one of the last two (for tests)."""
    active: list[ModelT] = []
    for m in symmetric:
        if m not in active and len(m.names) > 1 and any(mentions(t, m) for _, t in variables):
            active.append(m)
    if not active:
        return _identity
    gen = _Gen(tuple(active))
    sites = _sites(gen, variables)
    if method == "auto" and all(gen.occ(s.atom) <= 1 for s in sites):
        return _unary_canonicalizer(gen, variables, sites)
    order = 1
    for m in active:
        order *= math.factorial(len(m.names))
    if method == "small" or (method == "auto" and order <= SMALL_GROUP):
        return _SmallGroup(gen, variables)
    return _General(gen, variables, sites)


def _cost(t: Type) -> int:
    """A rough cost of keying a value of type ``t``: cheap variables are compared first."""
    if isinstance(t, (TupleT, RecordT)):
        return 1 + sum(_cost(c) for c in _Gen._comps(t))
    if isinstance(t, (SetT, SeqT, BagT)):
        return 4 + 4 * _cost(t.elem)
    if isinstance(t, FunT):
        return 4 + 4 * _cost(t.cod)
    if isinstance(t, MapT):
        return 4 + 4 * (_cost(t.key) + _cost(t.val))
    if isinstance(t, EnumT):
        return 1 + sum(_cost(a) for c in t.constructors for a in c.args)
    return 1


class _SmallGroup:
    """Every permutation of a small group, pruned variable by variable (module docstring)."""

    def __init__(self, gen: _Gen, variables: Variables):
        nsets = len(gen.active)
        mparams = "".join(f", m{k}" for k in range(nsets))
        self.var_keys = []
        for i, (_, t) in sorted(enumerate(variables), key=lambda it: _cost(it[1][1])):
            if gen.mentions(t):
                src = f"def key(x{mparams}):\n    return {gen.key(t, 'x')}\n"
                self.var_keys.append((i, _compile(src, "key", {})))
        self.permute = _compile(_permute_src(gen, variables, "permute"), "permute", {})
        per_set = [list(itertools.permutations(range(len(m.names)))) for m in gen.active]
        # (colour lists for the keys, permute arguments, is the identity); identity first
        self.group = []
        for combo in itertools.product(*per_set):
            margs = tuple(list(p) for p in combo)
            pargs = tuple(x for p in combo for x in (list(p), _inverse(p)))
            ident = all(p == tuple(range(len(p))) for p in combo)
            self.group.append((margs, pargs, ident))
        self.source = "\n".join(f.source for f in [self.permute, *(k for _, k in self.var_keys)])

    def __call__(self, state: State) -> State:
        cands = self.group
        for i, key in self.var_keys:
            x = state[i]
            best = None
            keep: list = []
            for g in cands:
                k = key(x, *g[0])
                if best is None or k < best:
                    best, keep = k, [g]
                elif k == best:
                    keep.append(g)
            cands = keep
            if len(cands) == 1:
                break
        g = cands[0]
        if g[2]:
            return state
        return self.permute(state, *g[1])


def _identity(state: State) -> State:
    return state


def _unary_canonicalizer(gen: _Gen, variables: Variables, sites: list[_Site]) -> Canonicalizer:
    """Generate the fast path: signatures column by column, sort, permute."""
    nsets = len(gen.active)
    env: dict[str, Any] = {}
    for k, m in enumerate(gen.active):
        env[f"R{k}"] = range(len(m.names))
        env[f"L{k}"] = list(range(len(m.names)))
    body: list[str] = [_unpack(variables)]
    columns: list[list[str]] = [[] for _ in range(nsets)]
    for s in sites:
        t = s.t
        # common shapes get a direct column; the rest fill per-value buckets of keys
        if not s.coll and gen.sym(t) is not None:
            k, c = gen.sym(t), f"c{s.sid}"
            body += [f"{c} = [False] * {len(gen.active[k].names)}", f"{c}[{s.expr}] = True"]
            columns[k].append(c)
            continue
        if isinstance(t, SetT) and gen.sym(t.elem) is not None:
            k = gen.sym(t.elem)
            columns[k].append(f"[_v in {s.expr} for _v in R{k}]")
            continue
        if isinstance(t, BagT) and gen.sym(t.elem) is not None:
            k = gen.sym(t.elem)
            columns[k].append(f"[{s.expr}.get(_v, 0) for _v in R{k}]")
            continue
        if isinstance(t, FunT) and gen.sym(t.dom) is not None and not gen.mentions(t.cod):
            k = gen.sym(t.dom)
            if gen.native(t.cod):
                columns[k].append(s.expr)
            else:
                e = gen.var()
                columns[k].append(f"[{gen.key(t.cod, e)} for {e} in {s.expr}]")
            continue
        if isinstance(t, MapT) and gen.sym(t.key) is not None and not gen.mentions(t.val):
            k = gen.sym(t.key)
            columns[k].append(f"[({gen.key(t.val, s.expr + '[_v]')},) if _v in {s.expr} else () for _v in R{k}]")
            continue
        e = gen.var() if s.coll else s.expr
        if isinstance(t, SetT) and gen.determined(t.elem):
            # at most one atom per value, and it is known from the value: a flag will do
            flags = {k: f"c{s.sid}_{k}" for k in sorted(gen.sets_in(s.atom))}
            for k, c in flags.items():
                body.append(f"{c} = [False] * {len(gen.active[k].names)}")
                columns[k].append(c)

            def emit(k: int, w: str, ind: str, ctors: dict, flags=flags) -> list[str]:
                return [f"{ind}{flags[k]}[{w}] = True"]

            body.append(f"for {e} in {s.it}:")
            body += gen.find(s.atom, e, emit, "    ", {})
            continue
        buckets = {k: f"B{s.sid}_{k}" for k in sorted(gen.sets_in(s.atom))}
        for k, b in buckets.items():
            body.append(f"{b} = [[] for _v in R{k}]")
            columns[k].append(b)

        def emit(k: int, w: str, ind: str, ctors: dict, e=e, atom=s.atom, buckets=buckets) -> list[str]:
            return [f"{ind}{buckets[k]}[{w}].append({gen.key(atom, e, True, ctors)})"]

        if s.coll:
            body.append(f"for {e} in {s.it}:")
            body += gen.find(s.atom, e, emit, "    ", {})
            # a value may be in several atoms of one collection: sort its keys
            for b in buckets.values():
                body += [f"for _b in {b}:", "    _b.sort()"]
        else:
            body += gen.find(s.atom, e, emit, "", {})
    same = []
    for k in range(nsets):
        cols = columns[k]
        if len(cols) == 1:
            body.append(f"q{k} = sorted(R{k}, key={cols[0]}.__getitem__)")
        else:
            body.append(f"q{k} = [_t[-1] for _t in sorted(zip({', '.join(cols)}, R{k}))]")
        same.append(f"q{k} == L{k}")
    body.append(f"if {' and '.join(same)}:")
    body.append("    return state")
    for k in range(nsets):
        body.append(f"p{k} = sorted(R{k}, key=q{k}.__getitem__)")
    ret = "(" + "".join(gen.perm(t, f"v{i}") + ", " for i, (_, t) in enumerate(variables)) + ")"
    body.append(f"return {ret}")
    src = "def canon(state):\n" + "".join(f"    {line}\n" for line in body)
    return _compile(src, "canon", env)


class _General:
    """The general canonicaliser: refinement, Sym-fixed cells, individualisation."""

    def __init__(self, gen: _Gen, variables: Variables, sites: list[_Site]):
        self.sizes = [len(m.names) for m in gen.active]
        nsets = len(self.sizes)
        env: dict[str, Any] = {f"R{k}": range(n) for k, n in enumerate(self.sizes)}
        lines = ["def atoms(state):", f"    {_unpack(variables)}", "    out = []"]
        for s in sites:
            if s.coll:
                lines.append(f"    out.extend([({s.sid}, _a) for _a in {s.it}])")
            else:
                lines.append(f"    out.append(({s.sid}, {s.expr}))")
        lines.append("    return out")
        self.atoms = _compile("\n".join(lines) + "\n", "atoms", env)
        mparams = "".join(f", m{k}" for k in range(nsets))
        oparams = "".join(f", o{k}" for k in range(nsets))
        self.keys, self.walks = [], []
        for s in sites:
            src = f"def key(x{mparams}):\n    return {gen.key(s.atom, 'x')}\n"
            self.keys.append(_compile(src, "key", env))
            src = f"def walk(x{oparams}):\n" + "\n".join(gen.collect(s.atom, "x", "    ") + ["    pass"]) + "\n"
            self.walks.append(_compile(src, "walk", env))
        self.permute = _compile(_permute_src(gen, variables, "permute"), "permute", env)
        ident = _Gen(())
        src = "def skey(state):\n" + f"    {_unpack(variables)}\n" + "    return (" + "".join(
            ident.key(t, f"v{i}") + ", " for i, (_, t) in enumerate(variables)
        ) + ")\n"
        self.skey = _compile(src, "skey", {})
        self.source = "\n".join(f.source for f in [self.atoms, self.permute, self.skey, *self.keys, *self.walks])

    def __call__(self, state: State) -> State:
        atoms = []
        for sid, a in self.atoms(state):
            seen = [set() for _ in self.sizes]
            self.walks[sid](a, *seen)
            ms = [(k, w) for k, o in enumerate(seen) for w in sorted(o)]
            if ms:
                atoms.append((sid, self.keys[sid], a, ms))
        ctx = _Search(state, atoms)
        self._search(ctx, [[0] * n for n in self.sizes])
        assert ctx.best is not None
        return ctx.best[1]

    def _refine(self, atoms, colors: list[list[int]]) -> list[list[int]]:
        while True:
            maps = [list(c) for c in colors]
            sigs = [[[] for _ in range(n)] for n in self.sizes]
            for sid, key, a, ms in atoms:
                for k, w in ms:
                    mk = maps[k]
                    c, mk[w] = mk[w], _MARK
                    sigs[k][w].append((sid, key(a, *maps)))
                    mk[w] = c
            changed = False
            new = []
            for k, col in enumerate(colors):
                sig = [(col[v], tuple(sorted(b))) for v, b in enumerate(sigs[k])]
                rank = {s: r for r, s in enumerate(sorted(set(sig)))}
                if len(rank) != max(col) + 1:
                    changed = True
                new.append([rank[s] for s in sig])
            colors = new
            if not changed:
                return colors

    def _perms(self, k: int, perm: list[int]) -> list[list[int]]:
        args: list[list[int]] = []
        for j, n in enumerate(self.sizes):
            if j == k:
                args += [perm, _inverse(perm)]
            else:
                ident = list(range(n))
                args += [ident, ident]
        return args

    def _swap_fixes(self, ctx: _Search, k: int, u: int, v: int) -> bool:
        r = ctx.swaps.get((k, u, v))
        if r is None:
            perm = list(range(self.sizes[k]))
            perm[u], perm[v] = v, u
            r = ctx.swaps[(k, u, v)] = self.permute(ctx.state, *self._perms(k, perm)) == ctx.state
        return r

    def _search(self, ctx: _Search, colors: list[list[int]]) -> None:
        """Explore the subtree of the colouring ``colors``, reached by individualising the
        values in ``ctx.path``; leaves update ``ctx``."""
        colors = self._refine(ctx.atoms, colors)
        target = None
        for k, col in enumerate(colors):
            cells: list[list[int]] = [[] for _ in range(max(col) + 1)]
            for v, c in enumerate(col):
                cells[c].append(v)
            for c, cell in enumerate(cells):
                if len(cell) > 1 and (target is None or len(cell) < len(target[2])):
                    if not all(self._swap_fixes(ctx, k, u, v) for u, v in zip(cell, cell[1:])):
                        target = (k, c, cell)
        if target is None:
            self._leaf(ctx, colors)
            return
        k, c, cell = target
        depth = len(ctx.path)
        kept: list[int] = []
        ctx.kept.append(kept)
        for v in cell:
            if kept and self._equivalent(ctx, k, v, kept, depth):
                continue
            kept.append(v)
            child = list(colors)
            child[k] = [x + 1 if x > c or (x == c and w != v) else x for w, x in enumerate(colors[k])]
            ctx.path.append((k, v))
            self._search(ctx, child)
            ctx.path.pop()
            if ctx.unwind is not None:
                if ctx.unwind < depth:
                    break
                ctx.unwind = None
        ctx.kept.pop()

    def _leaf(self, ctx: _Search, colors: list[list[int]]) -> None:
        """Relabel by the colouring (ties, all inside Sym-fixed cells, by value)."""
        args: list[list[int]] = []
        for col in colors:
            q = sorted(range(len(col)), key=lambda v, col=col: (col[v], v))
            args += [_inverse(q), q]
        img = self.permute(ctx.state, *args)
        other = ctx.leaves.get(img)
        if other is None:
            ctx.leaves[img] = args
            key = self.skey(img)
            if ctx.best is None or key < ctx.best[0]:
                ctx.best = (key, img)
            return
        # two relabellings with one image: other^-1 o this is an automorphism. Abandon
        # the shallowest ancestor now known equivalent to an explored sibling.
        ctx.autos.append([[qo[p[v]] for v in range(len(p))] for p, qo in zip(args[::2], other[1::2])])
        for d, (k, v) in enumerate(ctx.path):
            earlier = ctx.kept[d][:-1]
            if earlier and self._equivalent(ctx, k, v, earlier, d, swaps=False):
                ctx.unwind = d
                return

    def _equivalent(self, ctx: _Search, k: int, v: int, kept: list[int], depth: int, swaps: bool = True) -> bool:
        """Whether individualising ``v`` is known to give the same images as one of
        ``kept``: an automorphism fixing ``ctx.path[:depth]`` maps a kept value to ``v``."""
        if swaps and any(self._swap_fixes(ctx, k, min(u, v), max(u, v)) for u in kept):
            return True
        path = ctx.path[:depth]
        gens = [g[k] for g in ctx.autos if all(g[j][w] == w for j, w in path)]
        if not gens:
            return False
        reach = set(kept)
        todo = list(kept)
        while todo:
            x = todo.pop()
            for g in gens:
                y = g[x]
                if y not in reach:
                    reach.add(y)
                    todo.append(y)
        return v in reach


class _Search:
    """The state of one general canonicalisation: the best image so far (with its key),
    every leaf image seen (with its relabelling), automorphisms found, swap checks."""

    __slots__ = ("state", "atoms", "best", "leaves", "autos", "swaps", "path", "kept", "unwind")

    def __init__(self, state: State, atoms: list):
        self.state = state
        self.atoms = atoms
        self.best: tuple[Any, State] | None = None
        self.leaves: dict[State, list[list[int]]] = {}
        self.autos: list[list[list[int]]] = []
        self.swaps: dict[tuple[int, int, int], bool] = {}
        #: the individualised (set, value) pairs leading to the current node, and at each
        #: level the values individualised so far; ``unwind``: abandon levels below it
        self.path: list[tuple[int, int]] = []
        self.kept: list[list[int]] = []
        self.unwind: int | None = None
