#!/usr/bin/env python3
"""Check Lomond's type information: the stubs against the code, and the
examples and a typed user program against the stubs (Python 3 only).

    python3 -m pip install -r tools/requirements-typing.txt
    python3 tools/typecheck.py            # exit status 0: all good

Lomond's code runs on Python 2.7, so it carries no annotations: its types
are in ``.pyi`` stubs beside the modules, shipped with ``py.typed``. What
is checked, against Lomond installed from this checkout into a scratch
directory (so that a stub left out of the package fails too):

1. **The stubs match the code.** mypy's stubtest imports every module and
   compares each name, signature, default and class attribute with its
   stub. What can't agree is listed, with the reason, in
   ``tools/stubtest-allowlist.txt``.
2. **The check can fail.** The same stubtest run on a copy of the stubs
   with a parameter that the code doesn't have must fail; otherwise step
   1 proves nothing.
3. **Programs type-check as users write them.** ``mypy --strict`` over
   every runnable example of the documentation (as
   ``docs/check_examples.py`` finds them), ``examples/*.py`` and
   ``tests/typing/*.py``.
"""

import argparse
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWLIST = os.path.join(ROOT, "tools", "stubtest-allowlist.txt")

# Step 2's deliberate mistake: a parameter the code doesn't have.
BROKEN_STUB = "lomond/websocket.pyi"
BROKEN_FROM = "def send_text(self, text: str, compress: bool = True) -> None: ..."
BROKEN_TO = "def send_text(self, text: str, compress: bool = True, urgent: bool = False) -> None: ..."


def say(text):
    print(text, flush=True)


def run(command, cwd, env=None):
    """Run ``command``; return (exit status, output)."""
    process = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True
    )
    return process.returncode, process.stdout


def install(target):
    """Install this checkout (without dependencies) into ``target``."""
    status, output = run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, ROOT], cwd=ROOT
    )
    if status:
        raise SystemExit("typecheck: pip could not install Lomond:\n" + output)


def copy_stubs(site, dest):
    """Copy only the stubs and py.typed of the installed package: mypy
    must see the stubs alone, not the untyped modules beside them."""
    package = os.path.join(site, "lomond")
    for folder, dirs, files in os.walk(package):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            if name.endswith(".pyi") or name == "py.typed":
                path = os.path.join(folder, name)
                copy = os.path.join(dest, os.path.relpath(path, site))
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copy(path, copy)


def stubtest(site, stubs, scratch):
    """Run stubtest: the code imported from ``site``, the stubs from
    ``stubs``, from an empty directory (nothing else on the path)."""
    env = dict(os.environ, PYTHONPATH=site, MYPYPATH=stubs)
    command = [sys.executable, "-m", "mypy.stubtest", "lomond", "--allowlist", ALLOWLIST]
    empty = tempfile.mkdtemp(dir=scratch)
    return run(command, cwd=empty, env=env)


def break_stubs(stubs, scratch):
    """A copy of ``stubs`` with BROKEN_STUB changed to disagree with the code."""
    broken = os.path.join(scratch, "broken-stubs")
    shutil.copytree(stubs, broken)
    path = os.path.join(broken, BROKEN_STUB)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if BROKEN_FROM not in text:
        raise SystemExit("typecheck: {} no longer has the line step 2 changes; update BROKEN_FROM".format(BROKEN_STUB))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(BROKEN_FROM, BROKEN_TO))
    return broken


def docs_examples():
    """(name, code) of every runnable example of the documentation."""
    spec = importlib.util.spec_from_file_location("check_examples", os.path.join(ROOT, "docs", "check_examples.py"))
    check_examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_examples)
    docs = os.path.join(ROOT, "docs")
    for folder, dirs, files in os.walk(docs):
        dirs[:] = sorted(name for name in dirs if name != "_build")
        for name in sorted(files):
            if name.endswith(".rst"):
                path = os.path.join(folder, name)
                for line, _mode, _options, code in check_examples.find_examples(path):
                    where = os.path.relpath(path, docs)[: -len(".rst")].replace(os.sep, "_")
                    yield "docs_{}_{}".format(where, line), code


def programs(dest):
    """Write every program to check into ``dest``, each a top-level module
    (so that mypy imports lomond from the installed copy only); return
    the paths."""
    os.makedirs(dest)
    paths = []
    for name, code in docs_examples():
        path = os.path.join(dest, name + ".py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(code)
        paths.append(path)
    sources = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
    sources += sorted(glob.glob(os.path.join(ROOT, "tests", "typing", "*.py")))
    for source in sources:
        if os.path.basename(source) == "__init__.py":
            continue
        path = os.path.join(dest, os.path.basename(source))
        if os.path.exists(path):
            raise SystemExit("typecheck: two programs named {}".format(os.path.basename(source)))
        shutil.copy(source, path)
        paths.append(path)
    return paths


def mypy_strict(site, paths, scratch):
    """mypy --strict over ``paths``, finding lomond as an installed package."""
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("MYPYPATH", None)
    folder = os.path.dirname(paths[0])
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.path.join(scratch, "mypy-cache")]
    return run(command + [os.path.basename(path) for path in paths], cwd=folder, env=env)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and say where it is")
    args = parser.parse_args(argv)
    try:
        import mypy.version
    except ImportError:
        raise SystemExit("typecheck: mypy is missing: python3 -m pip install -r tools/requirements-typing.txt")

    scratch = tempfile.mkdtemp(prefix="lomond-typecheck-")
    failures = 0
    try:
        started = time.time()
        site = os.path.join(scratch, "site")
        stubs = os.path.join(scratch, "stubs")
        install(site)
        copy_stubs(site, stubs)
        say("mypy {}; Lomond installed in {:.1f}s".format(mypy.version.__version__, time.time() - started))

        started = time.time()
        status, output = stubtest(site, stubs, scratch)
        passed = status == 0
        say("{} stubs match the code (stubtest, {:.1f}s)".format("ok  " if passed else "FAIL", time.time() - started))
        if not passed:
            say(output.rstrip())
        failures += not passed

        started = time.time()
        status, output = stubtest(site, break_stubs(stubs, scratch), scratch)
        passed = status != 0 and "lomond.websocket.WebSocket.send_text" in output
        say(
            "{} a stub that disagrees with the code fails the check ({:.1f}s)".format(
                "ok  " if passed else "FAIL", time.time() - started
            )
        )
        if not passed:
            say(output.rstrip() or "(stubtest found nothing wrong)")
        failures += not passed

        started = time.time()
        paths = programs(os.path.join(scratch, "programs"))
        status, output = mypy_strict(site, paths, scratch)
        passed = status == 0
        say(
            "{} mypy --strict on {} programs: docs examples, examples/, tests/typing/ ({:.1f}s)".format(
                "ok  " if passed else "FAIL", len(paths), time.time() - started
            )
        )
        if not passed:
            say(output.rstrip())
        failures += not passed
    finally:
        if args.keep:
            say("scratch directory kept: " + scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    say("{} passed, {} failed".format(3 - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
