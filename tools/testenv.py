#!/usr/bin/env python3
"""Build and reuse the environments that run the test suite on every Python.

The environments are the ones tox.ini lists (``py27``, ``py36`` ...
``py313``, ``py311-accel``): this script reads ``[tox] envlist``, so CI
and tox can't disagree about which interpreters and extras are tested.
A name ``pyXY[-EXTRA...]`` means Python X.Y with the ``test`` extra and
each EXTRA; other names (``docs``) are not test environments.

Each environment is a virtualenv at ``$LOMOND_CACHE/ci-NAME`` (default
``~/.cache/lomond/ci-NAME``) holding the test dependencies, installed
with the pins of ``.ci/constraints.txt``, and **not** Lomond itself:
pytest runs from the root of a checkout, so the checkout's ``lomond`` is
the one imported, whichever clone made the environment.

An environment is reused while a stamp inside it matches: the
interpreter, and a digest of setup.py, the constraints and the extras.
When anything differs it is deleted and built again from nothing, so a
cached environment holds exactly what a fresh machine would build.

Command line (Python 3.6+, standard library only)::

    python3 tools/testenv.py list           # the test environments
    python3 tools/testenv.py python NAME    # the interpreter NAME needs
    python3 tools/testenv.py create NAME    # build or reuse; prints its python

``python`` and ``create`` exit with status 3 when the interpreter is not
on this machine (see ``tools/py27env.py`` for where it is looked for),
1 on any other failure.  Progress and pip's output go to stderr.
"""

import argparse
import configparser
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import py27env  # noqa: E402  (needs the sys.path entry above)
from py27env import Py27EnvError, run_command, venv_python  # noqa: E402

TOX_INI = os.path.join(ROOT, "tox.ini")
CONSTRAINTS = os.path.join(ROOT, ".ci", "constraints.txt")
SETUP_PY = os.path.join(ROOT, "setup.py")

ENV_PREFIX = "ci-"
STAMP_NAME = ".lomond-testenv.json"
# Bump when the way environments are built changes, to rebuild them all.
STAMP_FORMAT = 1
# pip older than this (3.6's venv brings 18.1) ignores Requires-Python
# while resolving; it is replaced first (the pin is in the constraints).
MIN_PIP = 21

EXIT_FAILURE = 1
EXIT_NO_PYTHON = 3

def log(message):
    """Print a progress message on stderr."""
    sys.stderr.write("testenv: %s\n" % (message,))
    sys.stderr.flush()


_ENV_NAME = re.compile(r"^py(\d)(\d+)((?:-[a-z][a-z0-9_]*)*)$")


class TestEnv(object):
    """One test environment: its tox name, Python version and extras."""

    __slots__ = ("name", "version", "extras")

    def __init__(self, name, version, extras):
        self.name = name
        self.version = version
        self.extras = extras

    @classmethod
    def parse(cls, name):
        """The environment called *name*, or None if it runs no tests."""
        match = _ENV_NAME.match(name)
        if match is None:
            return None
        version = "%s.%s" % (match.group(1), match.group(2))
        factors = [part for part in match.group(3).split("-") if part]
        return cls(name, version, ["test"] + factors)

    @property
    def path(self):
        """Where the environment lives in the cache."""
        return os.path.join(py27env.cache_root(), ENV_PREFIX + self.name)

    def requirement(self):
        """What pip installs: this checkout with the extras."""
        return "%s[%s]" % (ROOT, ",".join(self.extras))


def tox_envlist(path=TOX_INI):
    """The names in tox.ini's ``[tox] envlist``, in order."""
    parser = configparser.ConfigParser()
    if not parser.read(path):
        raise Py27EnvError("cannot read %s" % path)
    names = re.split(r"[\s,]+", parser.get("tox", "envlist", fallback=""))
    return [name for name in names if name]


def test_envs():
    """The test environments tox.ini lists (``docs`` and such left out)."""
    envs = [TestEnv.parse(name) for name in tox_envlist()]
    return [env for env in envs if env is not None]


def lookup(name):
    """The test environment called *name*; raises if tox.ini lacks it."""
    for env in test_envs():
        if env.name == name:
            return env
    raise Py27EnvError("%s is not a test environment of tox.ini's envlist "
                       "(%s)" % (name, ", ".join(e.name for e in test_envs())))


def _file_digest(digest, path):
    with open(path, "rb") as handle:
        digest.update(os.path.basename(path).encode("utf-8") + b"\0")
        digest.update(handle.read() + b"\0")


def inputs_digest(env):
    """A digest of the files and extras that decide what *env* holds."""
    digest = hashlib.sha256()
    for path in (SETUP_PY, CONSTRAINTS):
        _file_digest(digest, path)
    digest.update(json.dumps(env.extras).encode("utf-8"))
    return digest.hexdigest()


def _full_version(python):
    """``sys.version`` of *python*, so a rebuilt interpreter is noticed."""
    return run_command([python, "-E", "-c", "import sys; print(sys.version)"],
                       py27env.PROBE_TIMEOUT, "asking %s its version"
                       % python).strip()


def _read_stamp(path):
    try:
        with open(os.path.join(path, STAMP_NAME)) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _write_stamp(path, stamp):
    target = os.path.join(path, STAMP_NAME)
    with open(target + ".tmp", "w") as handle:
        json.dump(stamp, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(target + ".tmp", target)


def _pip(python, args, what, verbose):
    """Run ``python -m pip ARGS`` from the checkout's root."""
    run_command([python, "-m", "pip"] + list(args), py27env.INSTALL_TIMEOUT,
                what, capture=not verbose, env=py27env._pip_env())


def _make_venv(env, base_python, verbose):
    """Create an empty environment for *env* with a resolver-capable pip."""
    if env.version == "2.7":
        # venv doesn't exist on 2.7: py27env's virtualenv makes it.
        py27env._create_virtualenv(env.path, base_python,
                                   py27env.cache_root(), verbose)
    else:
        log("creating %s with %s -m venv" % (env.path, base_python))
        run_command([base_python, "-m", "venv", env.path],
                    py27env.CREATE_TIMEOUT, "creating %s" % env.path)
    python = venv_python(env.path)
    if py27env._pip_major(python) < MIN_PIP and env.version != "2.7":
        _pip(python, ["install", "-q", "-c", CONSTRAINTS, "pip>=%d" % MIN_PIP],
             "upgrading pip in %s" % env.path, verbose)
    return python


def _build(env, base_python, stamp, verbose):
    """Build *env* from nothing and write *stamp* into it."""
    py27env._remove_environment(env.path)
    python = _make_venv(env, base_python, verbose)
    _pip(python, ["install", "--no-input", "-c", CONSTRAINTS,
                  env.requirement()],
         "installing %s into %s" % (env.requirement(), env.path), verbose)
    # Only the dependencies stay: tests import the checkout's lomond.
    _pip(python, ["uninstall", "-y", "-q", "lomond"],
         "removing lomond itself from %s" % env.path, verbose)
    run_command([python, "-c", "import pytest"], py27env.PROBE_TIMEOUT,
                "importing pytest in %s" % env.path)
    _write_stamp(env.path, stamp)


def create(name, verbose=True):
    """Build or reuse the environment *name*; return its python."""
    env = lookup(name)
    base_python = py27env.find_python(env.version)
    if base_python is None:
        raise py27env.NoPythonError("no Python %s on this machine"
                                    % env.version)
    stamp = {
        "format": STAMP_FORMAT,
        "base_python": base_python,
        "python_version": _full_version(base_python),
        "extras": env.extras,
        "digest": inputs_digest(env),
    }
    with py27env.FileLock(env.path + ".lock"):
        if _read_stamp(env.path) == stamp and \
                py27env.probe_python(venv_python(env.path)) is not None:
            return venv_python(env.path)
        log("building %s (Python %s, extras %s)"
            % (env.path, env.version, ",".join(env.extras)))
        _build(env, base_python, stamp, verbose)
        return venv_python(env.path)


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        description="The test environments of tox.ini's envlist, for CI.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="print the test environments")
    which = commands.add_parser(
        "python", help="print the interpreter an environment needs")
    which.add_argument("name")
    make = commands.add_parser(
        "create", help="build or reuse an environment; print its python")
    make.add_argument("name")
    make.add_argument("--quiet", action="store_true",
                      help="hide pip's output unless it fails")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: list, python or create")
    return args


def main(argv=None):
    """Command line entry point; returns the exit status."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "list":
            for env in test_envs():
                print(env.name)
            return 0
        if args.command == "python":
            python = py27env.find_python(lookup(args.name).version)
            if python is None:
                log("no Python %s on this machine"
                    % lookup(args.name).version)
                return EXIT_NO_PYTHON
            print(python)
            return 0
        print(create(args.name, verbose=not args.quiet))
        return 0
    except py27env.NoPythonError as error:
        log("%s" % error)
        return EXIT_NO_PYTHON
    except Py27EnvError as error:
        log("error: %s" % error)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
