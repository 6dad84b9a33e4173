"""The import graph of handgrad's packages, read from the source (every import that runs,
those inside functions too; not those under ``if TYPE_CHECKING:``, which only name types for
mypy): the commands on top, nothing below them imports them, and no circle."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("manual", "torch_ref", "crosscheck", "handgrad")
# what nothing imports: the commands, and handgrad's Python API (crosscheck/api lies below both)
TOP = ("crosscheck.commands", "crosscheck.cli", "crosscheck.__main__", "handgrad")


def _name(path, root):
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node):
    """The dotted names an import statement may load, most specific first."""
    if isinstance(node, ast.Import):
        return [[a.name] for a in node.names]
    if node.level or not node.module:  # (handgrad imports absolutely)
        return []
    return [[f"{node.module}.{a.name}", node.module] for a in node.names]


def _runs(tree):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *_runs(child)])
            continue
        yield node
        yield from _runs(node)


def graph(root, packages=PACKAGES):
    """{module: {the modules of ours it imports when it runs}}."""
    files = {_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    edges = {}
    for name, path in files.items():
        found = set()
        for node in _runs(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for choices in _targets(node):
                    found.update(next(([c] for c in choices if c in files), []))
        edges[name] = found - {name}
    return edges


def upward(edges, top=TOP):
    """(importer, imported) where a module below the top imports one of the top."""
    def on_top(m):
        return any(m == t or m.startswith(t + ".") for t in top)
    return sorted((a, b) for a, bs in edges.items() for b in bs if on_top(b) and not on_top(a))


def circles(edges):
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_nothing_below_the_commands_imports_them():
    assert upward(graph(ROOT)) == []


def test_no_import_circle():
    assert circles(graph(ROOT)) == []


def rooms(edges):
    """The graph between folders: a module in a folder below a top package counts as its
    folder (crosscheck.proof.records.conv: crosscheck.proof.records), any other as itself."""
    def room(m):
        parts = m.split(".")
        return ".".join(parts[:-1]) if len(parts) > 2 else m
    found = {}
    for a, bs in edges.items():
        found.setdefault(room(a), set()).update(room(b) for b in bs if room(b) != room(a))
    return found


def test_no_circle_between_folders():
    assert circles(rooms(graph(ROOT))) == []


def test_the_rules_see_an_arrow_up_and_a_circle(tmp_path):
    files = {"crosscheck/commands/check.py": "from crosscheck import rows\n",
             "crosscheck/rows.py": "def plan():\n    from crosscheck.commands.check import x\n",
             "crosscheck/a.py": "import crosscheck.b\n",
             "crosscheck/b.py": "from crosscheck import a\n",
             "crosscheck/c.py": "from crosscheck.a import f\n",
             "crosscheck/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                "    from crosscheck.e import T\n",
             "crosscheck/e.py": "from crosscheck import d\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = graph(tmp_path, ("crosscheck",))
    assert upward(edges) == [("crosscheck.rows", "crosscheck.commands.check")]
    assert circles(rooms({"x.p.a": {"x.q.b"}, "x.q.c": {"x.p.d"}})) == [["x.p", "x.q"]]
    assert sorted(circles(edges)) == [["crosscheck.a", "crosscheck.b"],
                                      ["crosscheck.commands.check", "crosscheck.rows"]]
