"""Print one of the two commands at the top of README.rst.

``demo`` is the first literal command, ``tests`` the second. CI runs the
test command through this script, so README and CI can't drift apart.
"""

import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def commands():
    with io.open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.rstrip().endswith("::"):
            for following in lines[index + 1 :]:
                if following.strip():
                    if following.startswith("    "):
                        found.append(following.strip())
                    break
        if len(found) == 2:
            break
    return found


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "tests"
    found = commands()
    if len(found) < 2:
        sys.exit("README.rst must start with the demo and the test command")
    print(found[0] if which == "demo" else found[1])


if __name__ == "__main__":
    main()
