"""The package's modules import each other without a cycle (module-level imports; the
ones under ``if TYPE_CHECKING:`` and inside functions are not run at import time)."""

import ast
from pathlib import Path

import invcodec

ROOT = Path(invcodec.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:  # top-level statements only
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                break  # a def's body runs later
            targets = []
            if isinstance(sub, ast.Import):
                targets = [a.name for a in sub.names]
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    anchor = package.split(".")[: len(package.split(".")) - (sub.level - 1)]
                    base = ".".join(anchor + ([sub.module] if sub.module else []))
                # "from package import module" imports the module (the package is initialised first anyway)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in sub.names]
            found |= {t for t in targets if t in modules}
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: _module_level_imports(path, name, set(paths)) for name, path in paths.items()}


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "invcodec.model_file" in graph["invcodec.registry"]  # the graph sees real imports
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(dep):] + [dep]))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_spec_and_the_runtime_import_no_torch() -> None:
    graph = import_graph()
    for name, deps in graph.items():
        if not name.startswith("invcodec.training"):
            assert not any(d.startswith("invcodec.training") for d in deps), name
