"""Packaging for Lomond. The version lives in lomond/_version.py only.

This file must run on the setuptools of every supported Python, from the
setuptools 44 that Python 2.7 is stuck with to the newest one that
``python3 -m build`` fetches: ``pip install`` of the sdist on 2.7 runs it.
"""

import io
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

LICENSE = "BSD-3-Clause"

# README.rst starts with commands for a clone of the repository; lines
# between these two comments are left out of the package index page.
CLONE_ONLY_BEGIN = ".. clone-only: begin"
CLONE_ONLY_END = ".. clone-only: end"


def read(*parts):
    with io.open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


def long_description(readme=None):
    """README.rst without its clone-only blocks: the package index page.

    :param readme: the text of README.rst (read from disk when None).
    :raises ValueError: when a block is not closed, or ends unopened.
    """
    if readme is None:
        readme = read("README.rst")
    kept = []
    inside = False
    for line in readme.splitlines():
        marker = line.strip()
        if marker == CLONE_ONLY_BEGIN:
            if inside:
                raise ValueError("README.rst: nested %r" % CLONE_ONLY_BEGIN)
            inside = True
        elif marker == CLONE_ONLY_END:
            if not inside:
                raise ValueError("README.rst: %r without a begin" % CLONE_ONLY_END)
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError("README.rst: %r is never closed" % CLONE_ONLY_BEGIN)
    # Blocks removed between paragraphs leave runs of blank lines behind.
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))
    return text.strip() + "\n"


def license_metadata(setuptools_version):
    """The license as an SPDX expression, in the field this setuptools has.

    setuptools 77 and later write ``License-Expression`` (PEP 639) from
    ``license_expression``, and warn about license classifiers; older ones
    (Python 2.7's last is 44) know only the free-text ``License`` field
    and would warn about an unknown ``license_expression`` option.

    :param setuptools_version: ``setuptools.__version__``.
    :returns: the keyword argument for ``setup()``, as a dict.
    """
    major = re.match(r"\d+", setuptools_version)
    if major and int(major.group()) >= 77:
        return {"license_expression": LICENSE}
    return {"license": LICENSE}


VERSION = re.search(r'__version__ = "([^"]+)"', read("lomond", "_version.py")).group(1)

TEST_REQUIRES = [
    'pytest<5; python_version < "3"',
    'pytest; python_version >= "3"',
    'pytest-cov<3; python_version < "3"',
    'pytest-cov; python_version >= "3"',
    'coverage<6; python_version < "3"',
    'trustme<1; python_version < "3"',
    'trustme; python_version >= "3"',
    'hypothesis<5; python_version < "3"',
    'hypothesis; python_version >= "3"',
    # Independent peers for interoperability tests (Python 3 only).
    'websockets; python_version >= "3.8"',
    'tornado; python_version >= "3.8"',
    'pproxy; python_version >= "3.8"',
    'aiohttp; python_version >= "3.8"',
]

SETUP_ARGS = dict(
    name="lomond",
    version=VERSION,
    description="A WebSocket client that stays connected: events, not callbacks; no threads.",
    long_description_content_type="text/x-rst",
    packages=["lomond", "lomond.aio", "lomond.examples"],
    package_data={
        "lomond": ["py.typed", "*.pyi"],  # type information (PEP 561)
        "lomond.aio": ["*.pyi"],
        "lomond.examples": ["certs/*.pem", "certs/README.rst"],
    },
    python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*",
    install_requires=[
        "six>=1.10",
        # The last certifi releases for Python 2.7 and 3.6: an old pip, or
        # an index that doesn't publish Requires-Python, would otherwise
        # pick a newer one, which refuses to install there.
        'certifi<=2021.10.8; python_version < "3"',
        'certifi<=2025.4.26; python_version >= "3" and python_version < "3.7"',
        'certifi; python_version >= "3.7"',
        'monotonic; python_version < "3.3"',
    ],
    entry_points={"console_scripts": ["lomond = lomond.cli:main"]},
    extras_require={
        "accel": ["wsaccel"],
        "socks": [],  # SOCKS is built in; kept so that lomond[socks] installs
        "test": TEST_REQUIRES,
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python",
        "Programming Language :: Python :: 2",
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.6",
        "Programming Language :: Python :: 3.7",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Programming Language :: Python :: Implementation :: CPython",
        "Topic :: Internet :: WWW/HTTP",
        "Topic :: Software Development :: Libraries :: Python Modules",
    ],
)

# Guarded so that tests can load this file without setuptools and without
# running setup(); pip, tox and setuptools' build backend run it as __main__.
if __name__ == "__main__":
    import setuptools

    setuptools.setup(
        long_description=long_description(),
        **dict(SETUP_ARGS, **license_metadata(setuptools.__version__))
    )
