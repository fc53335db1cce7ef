#!/usr/bin/env python3
"""Run one of Lomond's fuzz targets.

Fuzz (atheris, coverage-guided; libFuzzer options pass through)::

    python3 fuzz/run.py session -max_total_time=60
    python3 fuzz/run.py response -max_total_time=300 -jobs=1
    python3 fuzz/run.py parser -runs=100000

New inputs go to ``fuzz/work/<target>/`` (ignored by git); the committed
seeds in ``fuzz/corpus/<target>/`` are read but never written. Crashes are
written to ``fuzz/work/crash-*`` unless ``-artifact_prefix=`` says
otherwise. Giving directories or files yourself replaces both defaults.

Replay inputs without atheris' instrumentation (for a reproducer, or to
measure line coverage with coverage.py)::

    python3 fuzz/run.py session --replay fuzz/crashes/some-input
    python3 -m coverage run --source=lomond fuzz/run.py session --replay \\
        fuzz/corpus/session fuzz/work/session
"""

import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET_NAMES = ("response", "session", "parser")

USAGE = "usage: python3 fuzz/run.py {{{}}} [--replay PATH...] [libFuzzer options]".format(
    ",".join(TARGET_NAMES)
)


def _paths(arguments):
    for path in arguments:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if os.path.isfile(full):
                    yield full
        else:
            yield path


def replay(target, arguments):
    """Run ``target`` on every file (or every file in every directory)."""
    failures = 0
    count = 0
    for path in _paths(arguments):
        with open(path, "rb") as stream:
            data = stream.read()
        count += 1
        try:
            target(data)
        except Exception:
            failures += 1
            print("FAIL {}".format(path))
            traceback.print_exc()
    print("{} inputs replayed, {} failed".format(count, failures))
    return 1 if failures else 0


def fuzz(name, arguments):
    import atheris

    with atheris.instrument_imports(include=["lomond"]):
        import targets
    options = [option for option in arguments if option.startswith("-")]
    paths = [argument for argument in arguments if not argument.startswith("-")]
    if not paths:
        work = os.path.join(HERE, "work", name)
        if not os.path.isdir(work):
            os.makedirs(work)
        paths = [work, os.path.join(HERE, "corpus", name)]
    if not any(option.startswith("-artifact_prefix=") for option in options):
        options.append("-artifact_prefix={}{}".format(os.path.join(HERE, "work", ""), name + "-"))
    if not any(option.startswith("-timeout=") for option in options):
        options.append("-timeout=20")
    argv = [sys.argv[0]] + options + paths
    atheris.Setup(argv, targets.TARGETS[name])
    atheris.Fuzz()


def main(argv):
    if len(argv) >= 2 and argv[1] in TARGET_NAMES:
        name = argv[1]
        arguments = argv[2:]
        # libFuzzer re-runs this script without the target name for
        # -fork, -jobs and -minimize_crash: the environment carries it.
        os.environ["LOMOND_FUZZ_TARGET"] = name
    elif os.environ.get("LOMOND_FUZZ_TARGET") in TARGET_NAMES:
        name = os.environ["LOMOND_FUZZ_TARGET"]
        arguments = argv[1:]
    else:
        print(USAGE)
        return 2
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    if arguments and arguments[0] == "--replay":
        import targets

        return replay(targets.TARGETS[name], arguments[1:])
    fuzz(name, arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
