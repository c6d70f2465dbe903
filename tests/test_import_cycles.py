"""No import cycles among rotokit's own modules (app, model, effects).

A cycle makes import order matter, hides which module is the lower layer and forces lazy imports
as workarounds. The graph comes from grimp (import-linter's graph library), which reads every
`import` statement, including those inside functions: a lazy import still counts. Imports under
`if TYPE_CHECKING:` are left out: they never run and are how a module names a type of a module
that imports it.
"""

from __future__ import annotations

from itertools import pairwise

import grimp
import pytest

PACKAGES = ("app", "model", "effects")


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that all (transitively) import each other; one group per cycle knot."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in modules:  # Tarjan's algorithm, iterative (no recursion limit on deep graphs)
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:  # back in the caller: propagate the lowest reachable index
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def describe_cycle(graph: grimp.ImportGraph, group: list[str]) -> str:
    """A shortest cycle through the group's first module (each step with its import line), then
    every import between the group's modules: all of them are candidates for breaking it."""
    start = group[0]
    chains = [
        graph.find_shortest_chain(importer=nxt, imported=start)
        for nxt in graph.find_modules_directly_imported_by(start)
        if nxt in group
    ]
    chain = (start, *min((c for c in chains if c), key=lambda c: (len(c), c)))
    steps = []
    for importer, imported in pairwise(chain):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = ", ".join(f"line {d['line_number']}" for d in details)
        steps.append(f"  {importer} -> {imported} ({where})")
    inside = [
        f"{a} -> {b}"
        for a in group
        for b in sorted(graph.find_modules_directly_imported_by(a))
        if b in group
    ]
    return (
        f"cycle among {len(group)} modules; a shortest one:\n"
        + "\n".join(steps)
        + "\n  every import inside the knot: "
        + "; ".join(inside)
    )


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)


def test_no_import_cycles() -> None:
    graph = build_graph()
    cycles = [describe_cycle(graph, g) for g in strongly_connected(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_cycle_finder_reports_a_planted_cycle() -> None:
    """The check itself can fail: a cycle added to the real graph is found and named."""
    graph = build_graph()
    graph.add_import(
        importer="app.planted_a", imported="app.planted_b", line_number=3, line_contents="import"
    )
    graph.add_import(
        importer="app.planted_b", imported="app.errors", line_number=4, line_contents="import"
    )
    graph.add_import(
        importer="app.planted_b", imported="app.planted_a", line_number=9, line_contents="import"
    )
    planted = [g for g in strongly_connected(graph) if "app.planted_a" in g]
    assert planted == [["app.planted_a", "app.planted_b"]]
    text = describe_cycle(graph, planted[0])
    assert "app.planted_a -> app.planted_b (line 3)" in text
    assert "app.planted_b -> app.planted_a (line 9)" in text


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([("a", "b"), ("b", "c")], []),
        ([("a", "b"), ("b", "a"), ("b", "c")], [["a", "b"]]),
        (
            [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "d")],
            [["a", "b", "c"], ["d", "e"]],
        ),
    ],
)
def test_strongly_connected_groups(edges: list[tuple[str, str]], expected: list[list[str]]) -> None:
    graph = grimp.ImportGraph()
    for importer, imported in edges:
        graph.add_import(importer=importer, imported=imported)
    assert sorted(strongly_connected(graph)) == expected
