"""setup.py: the package index page and the license metadata.

The built sdist and wheel themselves are checked by .ci/check_dist.py
(it needs the network to fetch the build backend); these tests cover the
logic in setup.py, on every interpreter, without setuptools.
"""

import io
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def setup_py():
    """setup.py's globals, loaded without running setup()."""
    # exec into a dict we keep: runpy on 2.7 clears the module's globals
    # (so its functions' globals) once it returns.
    path = os.path.join(ROOT, "setup.py")
    with io.open(path, "rb") as handle:
        code = compile(handle.read(), path, "exec")
    namespace = {"__name__": "setup_under_test", "__file__": path}
    exec(code, namespace)
    return namespace


def readme():
    with io.open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as handle:
        return handle.read()


def test_index_page_leaves_out_the_clone_commands(setup_py):
    text = readme()
    page = setup_py["long_description"]()
    # The README starts with commands for a clone; the index page must not.
    for clone_only in ("from a clone", "pip install -e", "clone-only"):
        assert clone_only in text
        assert clone_only not in page
    assert page.startswith(u"Lomond\n======\n")
    assert u"What it is\n----------" in page
    assert u"Installing\n----------" in page
    assert u"pip install lomond" in page


def test_index_page_names_no_repository_file(setup_py):
    page = setup_py["long_description"]()
    for path in ("docs/", "examples/", "compliance/", "benchmarks/",
                 "CHANGES.rst", "tox.ini", "``LICENSE``", ".ci/"):
        assert path not in page


def test_clone_only_blocks_are_removed_with_their_blank_lines(setup_py):
    text = u"\n".join([
        u"Title", u"=====", u"",
        u".. clone-only: begin", u"", u"clone text::", u"", u"    cmd", u"",
        u".. clone-only: end", u"",
        u"Kept.", u"",
        u"  .. clone-only: begin", u"More clone text.", u"  .. clone-only: end",
        u"",
    ])
    assert setup_py["long_description"](text) == u"Title\n=====\n\nKept.\n"


@pytest.mark.parametrize("text", [
    u"a\n.. clone-only: begin\nb\n",
    u"a\n.. clone-only: end\nb\n",
    u".. clone-only: begin\n.. clone-only: begin\n.. clone-only: end\n",
])
def test_unbalanced_clone_only_markers_raise(setup_py, text):
    with pytest.raises(ValueError):
        setup_py["long_description"](text)


@pytest.mark.parametrize("version, expected", [
    ("84.2.1", {"license_expression": "BSD-3-Clause"}),
    ("77.0.3", {"license_expression": "BSD-3-Clause"}),
    ("76.1.0", {"license": "BSD-3-Clause"}),
    ("44.1.1", {"license": "BSD-3-Clause"}),   # the last one for Python 2.7
])
def test_license_field_suits_the_setuptools_version(setup_py, version, expected):
    assert setup_py["license_metadata"](version) == expected


def test_no_license_classifier_beside_the_spdx_expression(setup_py):
    # setuptools 77+ deprecates license classifiers once there is an
    # SPDX expression: the expression is the one home of the license.
    classifiers = setup_py["SETUP_ARGS"]["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]
