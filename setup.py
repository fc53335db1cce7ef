"""Packaging for Lomond. The version lives in lomond/_version.py only."""

import io
import os
import re

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    with io.open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


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

setup(
    name="lomond",
    version=VERSION,
    description="A WebSocket client that stays connected: events, not callbacks; no threads.",
    long_description=read("README.rst"),
    long_description_content_type="text/x-rst",
    license="BSD-3-Clause",
    packages=["lomond", "lomond.examples"],
    package_data={"lomond.examples": ["certs/*.pem", "certs/README.rst"]},
    python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*",
    install_requires=[
        "six>=1.10",
        "certifi",
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
        "License :: OSI Approved :: BSD License",
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
