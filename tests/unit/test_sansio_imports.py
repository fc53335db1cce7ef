"""The protocol half of Lomond must not touch sockets, clocks or threads."""

import ast
import io
import os

import pytest

import lomond

SANS_IO = [
    "compression",
    "constants",
    "controls",
    "errors",
    "events",
    "extension",
    "frame",
    "frame_parser",
    "handshake",
    "mask",
    "message",
    "opcode",
    "options",
    "parser",
    "reconnect",
    "redirect",
    "response",
    "session",
    "status",
    "url",
    "utf8",
]
FORBIDDEN = set(["socket", "select", "selectors", "ssl", "threading", "time"])


def imported_modules(path):
    with io.open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("name", SANS_IO)
def test_module_does_no_io(name):
    path = os.path.join(os.path.dirname(lomond.__file__), name + ".py")
    found = FORBIDDEN.intersection(imported_modules(path))
    assert not found, "{} imports {}".format(name, sorted(found))


def test_checker_sees_imports(tmpdir):
    sample = tmpdir.join("sample.py")
    sample.write("import os, socket\nfrom time import monotonic\nfrom . import x\n")
    assert set(imported_modules(str(sample))) == set(["os", "socket", "time"])
