#!/usr/bin/env python3
"""Check the package as it will be published (CI step; Python 3.6+).

    python3 .ci/check_dist.py [--keep DIR]

1. Builds the sdist and, from it, the wheel with ``python -m build`` (in a
   cached venv, ``$LOMOND_CACHE/build-tools``); any warning printed by the
   build (setuptools deprecations included) fails the check.
2. ``twine check --strict``: the metadata is valid and the long
   description renders on a package index page.
3. Looks inside: the sdist holds every tracked file the tests and docs
   need, nothing generated; PKG-INFO has ``License-Expression:
   BSD-3-Clause`` and no clone-only text; the wheel is ``py3-none-any``
   with the demo certificates and the license.
4. Unpacks the sdist in a temp dir and, as a distribution packager would,
   installs it into a fresh venv (``pip install '.[test]'``), runs
   ``python -m pytest`` there and builds the docs there.
5. With Python 2.7 (when the machine has it): a fresh virtualenv with
   pip 19 installs the sdist, imports it and runs the offline demo.

Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import print_function

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import py27env  # noqa: E402  (needs the sys.path entry above)

BUILD_TOOLS = ["build>=1.2", "twine>=5"]
BUILD_TOOLS_ENV = "build-tools"
# pip 19 is the oldest pip we promise 2.7 users.
OLD_PIP = "pip>=19,<20"
LICENSE_EXPRESSION = "BSD-3-Clause"

# Tracked files the sdist must carry: the package, tests and docs trees,
# and these files at the top.
REQUIRED_TREES = ("lomond/", "tests/", "docs/", "examples/")
REQUIRED_FILES = ("CHANGES.rst", "LICENSE", "README.rst", "tox.ini",
                  "setup.py", "setup.cfg", "MANIFEST.in",
                  ".ci/constraints.txt")
# What must never be in the sdist.
JUNK = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.hypothesis|_build)/"
                  r"|\.py[cod]$")
# Text that belongs to a clone of the repository, not to the index page.
CLONE_ONLY = ("from a clone", "clone-only", "pip install -e")

TEST_TIMEOUT = 1800
INSTALL_TIMEOUT = 1200
DEMO_TIMEOUT = 120


class CheckFailed(Exception):
    """A check failed; the message says which and why."""


def log(message):
    print("check_dist: %s" % message)
    sys.stdout.flush()


def run(cmd, what, cwd=None, timeout=INSTALL_TIMEOUT, capture=False,
        env=None):
    """Run *cmd*; raise CheckFailed saying *what* failed. Returns output."""
    log("+ %s" % " ".join(cmd))
    try:
        result = subprocess.run(
            cmd, cwd=cwd, timeout=timeout, env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
            universal_newlines=True,
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed("%s: timed out after %d s" % (what, timeout))
    if result.returncode != 0:
        tail = "\n".join((result.stdout or "").splitlines()[-40:])
        raise CheckFailed("%s: exit status %d\n%s"
                          % (what, result.returncode, tail))
    return result.stdout or ""


def clean_env():
    """The environment for builds: no bytecode switch, no PYTHONPATH.

    PYTHONDONTWRITEBYTECODE makes setuptools print "byte-compiling is
    disabled" warnings, which would hide the ones this check looks for.
    """
    env = dict(os.environ)
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def build_tools_python():
    """The python of a cached venv holding build and twine."""
    path = os.path.join(py27env.cache_root(), BUILD_TOOLS_ENV)
    with py27env.FileLock(path + ".lock"):
        stamp = py27env.read_stamp(path)
        python = py27env.venv_python(path)
        if stamp and stamp.get("requirements") == BUILD_TOOLS and \
                py27env.probe_python(python) is not None:
            return python
        py27env._remove_environment(path)
        run([sys.executable, "-m", "venv", path], "creating %s" % path)
        if py27env._pip_major(python) < 21:
            run([python, "-m", "pip", "install", "-q", "pip>=21"],
                "upgrading pip in %s" % path)
        run([python, "-m", "pip", "install", "-q"] + BUILD_TOOLS,
            "installing %s" % " ".join(BUILD_TOOLS))
        py27env.write_stamp(path, requirements=BUILD_TOOLS,
                            base_python=sys.executable)
        return python


# The one warning that is no problem: MANIFEST.in's global-exclude found
# nothing to exclude (a clean checkout has no __pycache__).
NOTHING_TO_EXCLUDE = re.compile(
    r"^warning: no previously-included files matching '[^']+' found "
    r"anywhere in distribution$")


def warnings_in(output):
    """The lines of a build's output that are warnings or deprecations."""
    found = []
    for line in output.splitlines():
        line = line.strip()
        if re.search(r"warn|deprecat", line, re.IGNORECASE) and \
                not NOTHING_TO_EXCLUDE.match(line):
            found.append(line)
    return found


def build(tools_python, dist):
    """Build the sdist, then the wheel from it; fail on any warning."""
    output = run([tools_python, "-m", "build", "--outdir", dist, ROOT],
                 "python -m build", capture=True, env=clean_env())
    warnings = warnings_in(output)
    if warnings:
        raise CheckFailed("the build printed warnings:\n  "
                          + "\n  ".join(warnings))
    sdists = glob.glob(os.path.join(dist, "*.tar.gz"))
    wheels = glob.glob(os.path.join(dist, "*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        raise CheckFailed("expected one sdist and one wheel in %s, found %s"
                          % (dist, os.listdir(dist)))
    log("built %s and %s, no warnings"
        % (os.path.basename(sdists[0]), os.path.basename(wheels[0])))
    return sdists[0], wheels[0]


def tracked_files():
    """Tracked files of the checkout (``git ls-files``), or None."""
    try:
        output = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in output.decode("utf-8").split("\0") if name]


def required_files():
    """Files the sdist must hold, from git (or the tree without git)."""
    names = tracked_files()
    if names is None:
        names = []
        for tree in REQUIRED_TREES:
            for folder, dirs, files in os.walk(os.path.join(ROOT, tree)):
                dirs[:] = [d for d in dirs if not JUNK.search(d + "/")]
                names.extend(os.path.relpath(os.path.join(folder, f), ROOT)
                             for f in files if not JUNK.search(f))
    required = set(REQUIRED_FILES)
    for name in names:
        if name == "lomond/examples":
            continue  # the symlink to examples/, which the sdist holds
        if name.startswith("examples/"):
            # lomond/examples is examples/: it ships as the package.
            required.add("lomond/" + name)
        elif name.startswith(REQUIRED_TREES):
            required.add(name)
    return required


def check_metadata(metadata, where):
    """PKG-INFO / METADATA: the license, and no clone-only text."""
    if "License-Expression: %s" % LICENSE_EXPRESSION not in \
            metadata.splitlines():
        raise CheckFailed("%s has no 'License-Expression: %s'"
                          % (where, LICENSE_EXPRESSION))
    if "Classifier: License ::" in metadata:
        raise CheckFailed("%s still has a License classifier" % where)
    for text in CLONE_ONLY:
        if text in metadata:
            raise CheckFailed("%s: the long description has clone-only "
                              "text (%r)" % (where, text))


def check_sdist(sdist):
    """The sdist's file list and PKG-INFO."""
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        top = members[0].split("/")[0]
        names = set(name[len(top) + 1:] for name in members
                    if name.startswith(top + "/"))
        metadata = archive.extractfile(top + "/PKG-INFO").read().decode(
            "utf-8")
    missing = sorted(required_files() - names)
    if missing:
        raise CheckFailed("the sdist lacks %d tracked file(s): %s"
                          % (len(missing), ", ".join(missing[:20])))
    junk = sorted(name for name in names if JUNK.search(name))
    if junk:
        raise CheckFailed("the sdist holds generated files: %s"
                          % ", ".join(junk[:20]))
    check_metadata(metadata, "the sdist's PKG-INFO")
    log("sdist: %d files, every tracked file of %s and the top files; "
        "PKG-INFO is right" % (len(names), " ".join(REQUIRED_TREES)))


def check_wheel(wheel):
    """The wheel's tags, package data, license and METADATA."""
    if not os.path.basename(wheel).endswith("-py3-none-any.whl"):
        raise CheckFailed("%s is not a py3-none-any wheel" % wheel)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name[0]).decode("utf-8")
    needed = ["lomond/__init__.py", "lomond/examples/echo.py",
              "lomond/examples/certs/ca.pem",
              "lomond/examples/certs/server.pem"]
    missing = [name for name in needed if name not in names]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        missing.append("*.dist-info/licenses/LICENSE")
    if missing:
        raise CheckFailed("the wheel lacks %s" % ", ".join(missing))
    strays = sorted(n for n in names if n.startswith(("tests/", "docs/")))
    if strays:
        raise CheckFailed("the wheel holds %s" % ", ".join(strays[:10]))
    check_metadata(metadata, "the wheel's METADATA")
    log("wheel: py3-none-any, certificates and license inside")


def unpack(sdist, where):
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        archive.extractall(where)
    return os.path.join(where, top)


def test_unpacked(source, work):
    """pip install '.[test]' && python -m pytest, in a fresh venv; docs."""
    venv = os.path.join(work, "venv")
    run([sys.executable, "-m", "venv", venv], "creating a fresh venv")
    python = py27env.venv_python(venv)
    if py27env._pip_major(python) < 21:
        run([python, "-m", "pip", "install", "-q", "pip>=21"],
            "upgrading pip in the fresh venv")
    run([python, "-m", "pip", "install", "-q", ".[test]"],
        "pip install '.[test]' in the unpacked sdist", cwd=source)
    log("+ python -m pytest (in %s)" % source)
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=source, stdin=subprocess.DEVNULL, timeout=TEST_TIMEOUT)
    if result.returncode == 5:
        raise CheckFailed("pytest collected no tests in the unpacked sdist")
    if result.returncode != 0:
        raise CheckFailed("the tests failed in the unpacked sdist (exit %d)"
                          % result.returncode)
    run([python, "-m", "pip", "install", "-q", "-r",
         os.path.join("docs", "requirements.txt")],
        "installing the docs requirements", cwd=source)
    run([python, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html",
         "docs", os.path.join(work, "html")],
        "building the docs of the unpacked sdist", cwd=source)
    log("the unpacked sdist builds its docs")


def install_on_python27(sdist, work):
    """Python 2.7 with pip 19 installs the sdist and runs the demo."""
    python27 = py27env.find_python27()
    if python27 is None:
        log("NOTICE: no Python 2.7 on this machine: skipping the pip 19 "
            "install check")
        return
    path = os.path.join(work, "py27")
    py27env._create_virtualenv(path, python27, py27env.cache_root(),
                               verbose=False)
    python = py27env.venv_python(path)
    env = clean_env()
    env.pop("PIP_CONSTRAINT", None)
    run([python, "-m", "pip", "install", "-q", OLD_PIP],
        "installing %s on 2.7" % OLD_PIP, env=env)
    version = run([python, "-m", "pip", "--version"], "pip --version",
                  capture=True, env=env)
    if not version.startswith("pip 19."):
        raise CheckFailed("expected pip 19 on 2.7, got %s" % version)
    run([python, "-m", "pip", "install", "-q", sdist],
        "pip 19 installing the sdist on 2.7", env=env, cwd=work)
    # From an empty directory, so only the installed copy can be imported.
    empty = os.path.join(work, "empty")
    os.mkdir(empty)
    code = (
        "import os, lomond, lomond.examples\n"
        "assert os.path.realpath(lomond.__file__).startswith("
        "os.path.realpath(%r)), lomond.__file__\n"
        "certs = os.path.join(os.path.dirname(lomond.examples.__file__), "
        "'certs')\n"
        "assert os.path.exists(os.path.join(certs, 'ca.pem'))\n"
        "print('lomond %%s from %%s' %% (lomond.__version__, lomond.__file__))"
        % path)
    run([python, "-c", code], "importing the installed lomond on 2.7",
        cwd=empty, env=env)
    run([python, "-m", "lomond.examples.echo"], "the offline demo on 2.7",
        cwd=empty, env=env, timeout=DEMO_TIMEOUT, capture=True)
    log("Python 2.7 with %s installed the sdist and ran the demo"
        % version.split(" from ")[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="lomond-dist-")
    if args.keep:
        os.makedirs(work, exist_ok=True)
    steps = []

    def timed(name, function, *arguments):
        start = time.time()
        result = function(*arguments)
        steps.append((name, time.time() - start))
        return result

    try:
        tools_python = timed("build tools", build_tools_python)
        sdist, wheel = timed("build", build, tools_python,
                             os.path.join(work, "dist"))
        timed("twine check", run, [tools_python, "-m", "twine", "check",
                                   "--strict", sdist, wheel], "twine check")
        timed("sdist contents", check_sdist, sdist)
        timed("wheel contents", check_wheel, wheel)
        source = timed("unpack", unpack, sdist, os.path.join(work, "src"))
        timed("tests and docs from the sdist", test_unpacked, source, work)
        timed("pip 19 on Python 2.7", install_on_python27, sdist, work)
    except (CheckFailed, py27env.Py27EnvError) as error:
        print("check_dist: FAILED: %s" % error, file=sys.stderr)
        return 1
    finally:
        for name, took in steps:
            log("%-32s %6.1fs" % (name, took))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    log("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
