#!/usr/bin/env python3
"""Locate a Python 2.7 interpreter and build cached virtualenvs for it.

Python 2.7 tooling (for example the Autobahn test suite) cannot be
installed with the ``venv`` module of a modern Python, and recent
releases of ``virtualenv`` can no longer create 2.7 environments.  This
script bridges the gap:

1. It finds a working Python 2.7 interpreter (``LOMOND_PY27``, then
   pyenv's ``versions/2.7.*``, then ``python2.7`` / ``python2`` on PATH),
   checking each candidate by actually running it.  (``find_python``
   does the same for any version; ``tools/testenv.py`` uses it.)
2. It keeps a small Python 3 "tools" venv in the cache directory
   (``$LOMOND_CACHE/tools-venv``, default ``~/.cache/lomond/tools-venv``)
   holding ``virtualenv==20.15.1``, the last release able to target 2.7.
3. It uses that virtualenv to create (or reuse) a 2.7 environment at a
   path of your choice and pip-installs the requested requirements.  A
   stamp file inside the environment records what was installed, so a
   second call with the same requirements costs a couple of quick
   interpreter checks and nothing more.

Command line use (Python 3.6+, standard library only)::

    python3 tools/py27env.py find
    python3 tools/py27env.py create PATH [pip install arguments...]

``find`` prints the interpreter path, or exits with status 3 when there
is none.  ``create`` prints the path of the environment's python last,
on stdout; progress and pip output go to stderr.

Only POSIX layouts (``bin/python``) are supported.
"""

from __future__ import print_function

import argparse
import errno
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

VIRTUALENV_REQUIREMENT = "virtualenv==20.15.1"
VIRTUALENV_VERSION = "20.15.1"
# The newest pip that still runs on Python 3.6; only used to replace the
# very old pip that ``venv`` bundles with 3.6 (it mis-resolves wheels).
PIP_FOR_OLD_PYTHON = "pip>=19,<22"

STAMP_NAME = ".lomond-py27env.json"
STAMP_FORMAT = 1
TOOLS_VENV_NAME = "tools-venv"

EXIT_FAILURE = 1
EXIT_NO_PYTHON = 3

PROBE_TIMEOUT = 60          # seconds to run "python -c ..." checks
CREATE_TIMEOUT = 900        # seconds to create a venv / virtualenv
INSTALL_TIMEOUT = 2400      # seconds for one pip install
LOCK_TIMEOUT = 3600         # seconds to wait for another process's build

_PROBE_CODE = (
    "import sys; "
    "sys.stdout.write('%d.%d\\n%s\\n' % "
    "(sys.version_info[0], sys.version_info[1], sys.executable))"
)


class Py27EnvError(Exception):
    """A step failed; the message is meant to be shown to a person."""


class NoPythonError(Py27EnvError):
    """The Python version asked for is not on this machine."""


class NoPython27Error(NoPythonError):
    """No working Python 2.7 interpreter could be found."""


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def log(message):
    """Print a progress message on stderr."""
    sys.stderr.write("py27env: %s\n" % (message,))
    sys.stderr.flush()


def cache_root():
    """Return the cache directory (``$LOMOND_CACHE`` or ~/.cache/lomond)."""
    root = os.environ.get("LOMOND_CACHE")
    if root:
        return os.path.abspath(os.path.expanduser(root))
    return os.path.join(os.path.expanduser("~"), ".cache", "lomond")


def venv_python(path):
    """Return the interpreter path inside the environment at *path*."""
    return os.path.join(path, "bin", "python")


def _tail(text, lines=30):
    """Return the last *lines* lines of *text* (for error messages)."""
    if not text:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _stderr_fileno():
    """Our stderr's file descriptor, or PIPE when it has none (captured)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):
        return subprocess.PIPE


def _kill_group(proc):
    """Kill *proc* and everything in its process group, then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
        pass


def run_command(cmd, timeout, what, capture=True, env=None):
    """Run *cmd* in its own process group and return its output.

    With *capture* the combined stdout/stderr is returned (and quoted in
    the error when the command fails); otherwise the child writes
    straight to our stderr, so a person sees pip's progress.  The whole
    process group is killed on timeout or when we are interrupted.
    Raises :class:`Py27EnvError` describing *what* failed.
    """
    output_target = subprocess.PIPE if capture else _stderr_fileno()
    capture = output_target == subprocess.PIPE
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=output_target,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            universal_newlines=True,
        )
    except OSError as error:
        raise Py27EnvError("%s: cannot run %s: %s" % (what, cmd[0], error))
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise Py27EnvError(
            "%s: timed out after %d seconds (%s)"
            % (what, timeout, " ".join(cmd))
        )
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        detail = _tail(output) if capture else "(see output above)"
        raise Py27EnvError(
            "%s failed with exit status %s: %s\n%s"
            % (what, proc.returncode, " ".join(cmd), detail)
        )
    return output or ""


def probe_python(executable):
    """Run *executable* and return ``((major, minor), sys.executable)``.

    Returns None when it cannot be run or does not answer sensibly.
    ``-E`` keeps PYTHONPATH/PYTHONHOME from confusing the probe.
    """
    try:
        output = run_command(
            [executable, "-E", "-c", _PROBE_CODE],
            PROBE_TIMEOUT,
            "probing %s" % executable,
        )
    except Py27EnvError:
        return None
    lines = output.strip().splitlines()
    if len(lines) < 2 or not re.match(r"^\d+\.\d+$", lines[0]):
        return None
    major, minor = (int(part) for part in lines[0].split("."))
    return (major, minor), lines[1].strip() or executable


# ---------------------------------------------------------------------------
# finding a Python 2.7
# ---------------------------------------------------------------------------

def _pyenv_root():
    """Return pyenv's root directory (asking pyenv when it is installed)."""
    if shutil.which("pyenv"):
        try:
            output = run_command(["pyenv", "root"], PROBE_TIMEOUT,
                                 "pyenv root")
        except Py27EnvError:
            output = ""
        if output.strip():
            return output.strip().splitlines()[-1]
    return os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")


def _version_key(path):
    """Sort key putting pyenv's newest patch release first."""
    name = os.path.basename(os.path.dirname(os.path.dirname(path)))
    return [int(part) for part in re.findall(r"\d+", name)]


def candidate_pythons(version="2.7"):
    """Yield ``(description, executable)`` pairs to try for *version*, best first.

    *version* is ``"MAJOR.MINOR"``.  Looked at in order: the variable
    ``LOMOND_PY<MAJOR><MINOR>`` (``LOMOND_PY27``, ``LOMOND_PY311``...),
    pyenv's plain CPython builds of that version (``3.13.0``, not
    ``3.13.0t`` or ``3.13-dev``), then ``python<version>`` on PATH (and
    ``python2`` for 2.7).
    """
    override_name = "LOMOND_PY" + version.replace(".", "")
    override = os.environ.get(override_name)
    if override:
        yield override_name, override
    release = re.compile(r"^%s\.\d+$" % re.escape(version))
    pattern = os.path.join(_pyenv_root(), "versions", version + ".*", "bin",
                           "python")
    found = [path for path in glob.glob(pattern)
             if release.match(os.path.basename(
                 os.path.dirname(os.path.dirname(path))))]
    for path in sorted(found, key=_version_key, reverse=True):
        yield "pyenv", path
    names = ["python" + version] + (["python2"] if version == "2.7" else [])
    for name in names:
        path = shutil.which(name)
        if path:
            yield "PATH", path


def find_python(version, verbose=False):
    """Return the path of a working Python *version* ("3.9"), or None."""
    wanted = tuple(int(part) for part in version.split("."))
    for source, executable in candidate_pythons(version):
        result = probe_python(executable)
        if result is not None and result[0] == wanted:
            return result[1]
        if source.startswith("LOMOND_PY"):
            log("warning: %s=%s is not a working Python %s; looking "
                "elsewhere" % (source, executable, version))
        elif verbose:
            log("skipping %s (%s): not a working Python %s"
                % (executable, source, version))
    return None


def find_python27(verbose=False):
    """Return the path of a working Python 2.7 interpreter, or None."""
    return find_python("2.7", verbose=verbose)


# ---------------------------------------------------------------------------
# stamps and locks
# ---------------------------------------------------------------------------

def read_stamp(path):
    """Return the stamp dict stored in environment *path*, or None."""
    try:
        with open(os.path.join(path, STAMP_NAME)) as handle:
            stamp = json.load(handle)
    except (OSError, IOError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("format") != STAMP_FORMAT:
        return None
    return stamp


def write_stamp(path, **fields):
    """Atomically write a stamp with *fields* into environment *path*."""
    stamp = dict(fields, format=STAMP_FORMAT)
    target = os.path.join(path, STAMP_NAME)
    temporary = target + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(stamp, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, target)


class FileLock(object):
    """An exclusive ``flock`` on *path*, waited for at most *timeout* s.

    Stops two runs on one machine from building the same environment at
    the same time.  Without fcntl (non-POSIX) it does nothing.
    """

    def __init__(self, path, timeout=LOCK_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self._handle = None

    def __enter__(self):
        if fcntl is None:  # pragma: no cover
            return self
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        self._handle = open(self.path, "a")
        deadline = time.monotonic() + self.timeout
        announced = False
        while True:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (OSError, IOError) as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                self._handle.close()
                raise Py27EnvError(
                    "gave up after %d s waiting for the lock %s (another "
                    "process is building the same environment)"
                    % (self.timeout, self.path)
                )
            if not announced:
                log("waiting for another process to release %s" % self.path)
                announced = True
            time.sleep(1.0)

    def __exit__(self, *exc_info):
        if self._handle is not None:
            self._handle.close()  # closing releases the flock
            self._handle = None


def _remove_environment(path):
    """Delete a broken environment, refusing anything that isn't one."""
    if not os.path.exists(path):
        return
    is_env = os.path.exists(os.path.join(path, "pyvenv.cfg")) or \
        os.path.exists(os.path.join(path, STAMP_NAME))
    if not is_env:
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)
            return
        raise Py27EnvError(
            "%s exists but is not a virtual environment; refusing to "
            "replace it" % path
        )
    shutil.rmtree(path)


# ---------------------------------------------------------------------------
# the Python 3 tools venv holding virtualenv
# ---------------------------------------------------------------------------

def _pip_major(python):
    """Return the major version of pip in *python*, or 0 if unknown."""
    try:
        output = run_command([python, "-m", "pip", "--version"],
                             PROBE_TIMEOUT, "pip --version")
    except Py27EnvError:
        return 0
    match = re.match(r"pip (\d+)", output.strip())
    return int(match.group(1)) if match else 0


def _tools_venv_works(path):
    """True if the tools venv at *path* runs virtualenv 20.15.1."""
    if read_stamp(path) is None:
        return False
    try:
        output = run_command(
            [venv_python(path), "-m", "virtualenv", "--version"],
            PROBE_TIMEOUT, "virtualenv --version",
        )
    except Py27EnvError:
        return False
    return ("virtualenv %s " % VIRTUALENV_VERSION) in output + " "


def ensure_tools_venv(root=None, verbose=True):
    """Return the python of a cached Python 3 venv holding virtualenv."""
    root = root or cache_root()
    path = os.path.join(root, TOOLS_VENV_NAME)
    with FileLock(path + ".lock"):
        if _tools_venv_works(path):
            return venv_python(path)
        log("creating tools venv %s (%s)" % (path, VIRTUALENV_REQUIREMENT))
        _remove_environment(path)
        run_command([sys.executable, "-m", "venv", path], CREATE_TIMEOUT,
                    "creating the tools venv with %s -m venv" % sys.executable)
        python = venv_python(path)
        if _pip_major(python) < 19:
            run_command(
                [python, "-m", "pip", "install", "--disable-pip-version-check",
                 "--no-input", "-q", PIP_FOR_OLD_PYTHON],
                INSTALL_TIMEOUT, "upgrading pip in the tools venv",
                capture=not verbose,
            )
        run_command(
            [python, "-m", "pip", "install", "--disable-pip-version-check",
             "--no-input", "-q", VIRTUALENV_REQUIREMENT],
            INSTALL_TIMEOUT, "installing %s" % VIRTUALENV_REQUIREMENT,
            capture=not verbose,
        )
        write_stamp(path, requirements=[VIRTUALENV_REQUIREMENT],
                    base_python=sys.executable)
        if not _tools_venv_works(path):
            raise Py27EnvError("the tools venv %s was built but virtualenv "
                               "does not run in it" % path)
        return python


# ---------------------------------------------------------------------------
# the Python 2.7 environment
# ---------------------------------------------------------------------------

def _env_python_works(path):
    """True if *path* holds a virtualenv whose python is a working 2.7."""
    result = probe_python(venv_python(path))
    return result is not None and result[0] == (2, 7)


def _virtualenv_env(root):
    """Environment for running virtualenv: keep its app data in our cache."""
    env = dict(os.environ)
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = os.path.join(root, "virtualenv-data")
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def _pip_env():
    """Environment for pip inside the 2.7 environment."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_PYTHON_VERSION_WARNING"] = "1"
    return env


def _create_virtualenv(path, python27, root, verbose):
    """Create a fresh 2.7 virtualenv at *path* (removing a broken one)."""
    tools_python = ensure_tools_venv(root, verbose=verbose)
    _remove_environment(path)
    log("creating Python 2.7 virtualenv %s with %s" % (path, python27))
    run_command(
        [tools_python, "-m", "virtualenv", "--no-periodic-update",
         "--quiet", "-p", python27, path],
        CREATE_TIMEOUT, "creating the Python 2.7 virtualenv",
        env=_virtualenv_env(root),
    )
    write_stamp(path, requirements=None, base_python=python27)
    if not _env_python_works(path):
        raise Py27EnvError("the virtualenv %s was created but its python "
                           "does not run" % path)


def pip_install(path, requirements, verbose=True):
    """Run ``pip install <requirements>`` with the python in *path*."""
    if not requirements:
        return
    log("pip install %s" % " ".join(requirements))
    run_command(
        [venv_python(path), "-m", "pip", "install", "--no-input"]
        + list(requirements),
        INSTALL_TIMEOUT, "pip install into %s" % path,
        capture=not verbose, env=_pip_env(),
    )


def create_env(path, requirements=(), python27=None, recreate=False,
               verbose=True):
    """Create or reuse a Python 2.7 virtualenv at *path*.

    *requirements* is a list of ``pip install`` arguments.  The
    environment is reused when its python still runs; pip runs only when
    the requirements differ from the ones recorded by the last
    successful install (a different set is installed on top; pass
    *recreate* to start afresh).  Returns the environment's python path.
    Raises :class:`Py27EnvError` on failure.
    """
    path = os.path.abspath(os.path.expanduser(path))
    requirements = [str(item) for item in requirements]
    root = cache_root()
    with FileLock(path.rstrip(os.sep) + ".lock"):
        stamp = read_stamp(path)
        usable = stamp is not None and not recreate and \
            _env_python_works(path)
        if usable and stamp.get("requirements") == requirements:
            return venv_python(path)
        if not usable:
            python27 = python27 or find_python27(verbose=verbose)
            if python27 is None:
                raise NoPython27Error(
                    "no Python 2.7 interpreter found (set LOMOND_PY27, "
                    "install 2.7 with pyenv, or put python2.7 on PATH)"
                )
            _create_virtualenv(path, python27, root, verbose)
            stamp = read_stamp(path)
        pip_install(path, requirements, verbose=verbose)
        write_stamp(path, requirements=requirements,
                    base_python=stamp.get("base_python"))
        return venv_python(path)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------

def _parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Find Python 2.7 and build cached 2.7 virtualenvs.")
    commands = parser.add_subparsers(dest="command")
    find = commands.add_parser(
        "find", help="print the path of a working Python 2.7")
    find.add_argument("-v", "--verbose", action="store_true",
                      help="say which candidates were skipped")
    create = commands.add_parser(
        "create", help="create/reuse a 2.7 virtualenv and pip install")
    create.add_argument("path", help="where the virtualenv lives")
    create.add_argument("--recreate", action="store_true",
                        help="delete and rebuild the environment")
    create.add_argument("--quiet", action="store_true",
                        help="hide pip output unless it fails")
    create.add_argument("pip_args", nargs=argparse.REMAINDER,
                        help="arguments for pip install (e.g. -r FILE)")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: find or create")
    if args.command == "create" and args.pip_args[:1] == ["--"]:
        args.pip_args = args.pip_args[1:]
    return args


def main(argv=None):
    """Command line entry point; returns the exit status."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "find":
            python27 = find_python27(verbose=args.verbose)
            if python27 is None:
                log("no Python 2.7 interpreter found (tried LOMOND_PY27, "
                    "pyenv versions/2.7*, python2.7 and python2 on PATH)")
                return EXIT_NO_PYTHON
            print(python27)
            return 0
        python = create_env(args.path, args.pip_args, recreate=args.recreate,
                            verbose=not args.quiet)
        print(python)
        return 0
    except NoPython27Error as error:
        log("error: %s" % error)
        return EXIT_NO_PYTHON
    except Py27EnvError as error:
        log("error: %s" % error)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
