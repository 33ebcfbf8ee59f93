"""Import cycles in a package, at every level: between modules, and between the sibling
sub-packages of each package (a cycle hidden in function-local imports counts too).

Run as a script (``python import_cycles.py PACKAGE``) it prints the cycles as JSON, so the
tests can look at a modified copy of the tree in a process of its own.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import grimp


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one member (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def find_cycles(package: str) -> list[list[str]]:
    """Every cycle among ``package``'s modules, and among the children of each of its
    packages (``a.b`` and ``a.c`` importing each other through any of their modules)."""
    graph = grimp.build_graph(package, include_external_packages=False)
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    imports = {m: {x for x in graph.find_modules_directly_imported_by(m) if x in modules}
               for m in modules}
    cycles = _strongly_connected(imports)
    parents = {m.rpartition(".")[0] for m in modules if "." in m}
    for parent in sorted(parents):
        depth = parent.count(".") + 1

        def child(module: str, parent: str = parent, depth: int = depth) -> str | None:
            if not module.startswith(parent + "."):
                return None
            return ".".join(module.split(".")[:depth + 1])

        edges: dict[str, set[str]] = defaultdict(set)
        for m, targets in imports.items():
            a = child(m)
            if a is None:
                continue
            for t in targets:
                b = child(t)
                if b is not None and b != a:
                    edges[a].add(b)
        cycles += [c for c in _strongly_connected(edges) if c not in cycles]
    return cycles


if __name__ == "__main__":
    print(json.dumps(find_cycles(sys.argv[1])))
