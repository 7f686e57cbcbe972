"""The project's modules import each other without circles (lint-imports checks the layers).

grimp reads every import statement, including imports inside functions: a function-local
import that dodges a circle is still a circle here.
"""

import grimp
import pytest

PACKAGES = ("customers", "groups", "orders", "idempotency", "config")
APPS = ("customers", "groups", "orders", "idempotency")
# The URL routers are the top layer: they alone in config/ may import the apps' API views.
CONFIG_MAY_IMPORT_APPS = {"config.urls", "config.api"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)


def import_cycles(graph) -> list[tuple[str, ...]]:
    """One shortest cycle per set of modules that import each other in a circle."""
    cycles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is None:
                continue
            cycle = (importer, *back)
            members = frozenset(cycle)
            if members not in cycles or len(cycle) < len(cycles[members]):
                cycles[members] = cycle
    return sorted(cycles.values())


def describe(graph, cycle: tuple[str, ...]) -> str:
    """The cycle, then each import in it with its line (function-local ones indented)."""
    steps = []
    for importer, imported in zip(cycle, cycle[1:], strict=False):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)
        steps.append(f"  {importer} -> {imported}  ({where})")
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_cycle_finder_names_the_circle():
    graph = grimp.ImportGraph()
    for importer, imported in [("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")]:
        graph.add_import(
            importer=importer,
            imported=imported,
            line_number=3,
            line_contents=f"from {imported} import thing",
        )

    cycles = import_cycles(graph)

    assert cycles == [("a.x", "a.y", "a.z", "a.x")]
    assert "  a.z -> a.x  (line 3: from a.x import thing)" in describe(graph, cycles[0])


def test_no_import_cycles_between_modules(graph):
    cycles = import_cycles(graph)
    message = "\n\n".join(describe(graph, cycle) for cycle in cycles)
    assert not cycles, f"Import cycles (function-local imports count too):\n\n{message}"


def test_config_imports_no_app_except_the_url_routers(graph):
    offending = [
        f"{module} -> {imported}"
        for module in sorted(graph.find_descendants("config"))
        if module not in CONFIG_MAY_IMPORT_APPS
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if imported.partition(".")[0] in APPS
    ]
    assert not offending, "config/ imports app code:\n" + "\n".join(offending)
