"""The kernel imports no pack: every import in plugrad/ is checked statically."""

from __future__ import annotations

import ast
import pathlib

import plugrad

KERNEL = pathlib.Path(plugrad.__file__).parent
ALLOWED_ROOTS = {"plugrad", "numpy", "pluggy", "__future__", "typing_extensions"}


def _imports(path: pathlib.Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _stdlib() -> set[str]:
    import sys

    return set(sys.stdlib_module_names)


def test_kernel_imports_only_numpy_pluggy_and_the_standard_library():
    stdlib = _stdlib()
    offenders = []
    for path in sorted(KERNEL.rglob("*.py")):
        for name in _imports(path):
            root = name.split(".")[0]
            if root not in ALLOWED_ROOTS and root not in stdlib and root not in {"pytest", "_pytest"}:
                offenders.append(f"{path.relative_to(KERNEL.parent)} imports {name}")
            if root.startswith("plugrad_"):
                offenders.append(f"{path.relative_to(KERNEL.parent)} imports pack {name}")
    assert not offenders, "\n".join(offenders)


def test_pytest_is_imported_only_by_the_pytest_plugin():
    for path in sorted(KERNEL.rglob("*.py")):
        if "pytest" in {n.split(".")[0] for n in _imports(path)}:
            assert path.name.startswith("pytest_plugin") or "gradcheck" in path.parts, path


def test_kernel_names_no_numpy_function_by_qualified_name():
    # The kernel may use numpy, but never refers to a pack's primitives by name.
    for path in sorted(KERNEL.rglob("*.py")):
        text = path.read_text()
        assert "plugrad_numpy" not in text.replace("plugrad_numpy's", ""), path
