"""``modelcheck source SPEC``: print the Python source a spec compiles to (for reading
the compiler's output; exit 0, or 2 for a spec or usage error).

Depends on :mod:`.common` and the API.
"""

from __future__ import annotations

from .common import add_const_options, load_spec


def add_parser(sub) -> None:
    g = sub.add_parser("source", help="print the Python source a spec compiles to",
                       description="Print the Python source a spec compiles to, for the given constants: "
                                   "what the explorer runs (for reading the compiler's output).")
    g.add_argument("spec", help="a .mc spec file")
    add_const_options(g, const_help="bind a constant, as for check (the source depends on the constants)")
    g.set_defaults(func=run)


def run(args) -> int:
    spec = load_spec(args, warnings=False)  # the source is the output; warnings are for check
    print(spec.model.generated_source)
    return 0
