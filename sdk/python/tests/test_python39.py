"""The package is standard library only and Python 3.9 syntax (Debian's interpreter is 3.11,
so 3.9 is checked by the grammar, and by a list of newer features the grammar allows)."""

import ast
import os
import sys

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ktune")
FILES = sorted(os.path.join(PACKAGE, f) for f in os.listdir(PACKAGE) if f.endswith(".py"))


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_parses_as_python_3_9(path):
    with open(path) as f:
        ast.parse(f.read(), filename=path, feature_version=(3, 9))


def _annotations(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for a in args.args + args.kwonlyargs + args.posonlyargs + [args.vararg, args.kwarg]:
                if a is not None and a.annotation is not None:
                    yield a.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_no_newer_features(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
    for ann in _annotations(tree):
        for node in ast.walk(ann):
            # `X | Y` in an evaluated annotation needs 3.10.
            assert future or not isinstance(node, ast.BinOp), \
                "{}:{}: `|` in an annotation needs Python 3.10".format(path, node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            names = [k.arg for k in node.keywords]
            func = getattr(node.func, "id", getattr(node.func, "attr", ""))
            assert not (func == "zip" and "strict" in names), "{}: zip(strict=) is 3.10".format(
                path)
            assert not (func == "dataclass" and ({"slots", "kw_only"} & set(names))), path
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("TaskGroup", "ExceptionGroup", "Self", "UTC"), \
                "{}:{}: {} is newer than 3.9".format(path, node.lineno, node.attr)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            for m in modules:
                assert m.split(".")[0] not in ("tomllib",), "{}: {} is 3.11".format(path, m)


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_standard_library_only(path):
    allowed_optional = {"pandas", "IPython", "yaml"}  # imported only where available
    stdlib = set(sys.stdlib_module_names)
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        else:
            continue
        for m in modules:
            top = m.split(".")[0]
            assert top in stdlib or top == "ktune" or top in allowed_optional, \
                "{}:{}: imports {}, which is not in the standard library".format(
                    path, node.lineno, m)
