"""Sphinx configuration for Lomond's documentation.

Build from the repository root::

    python3 -m pip install -r docs/requirements.txt
    python3 -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Document the lomond package of this checkout, not an installed one.
sys.path.insert(0, ROOT)

with open(os.path.join(ROOT, "lomond", "_version.py")) as version_file:
    release = re.search(r'__version__ = "([^"]+)"', version_file.read()).group(1)
version = ".".join(release.split(".")[:2])

project = "Lomond"
author = "the Lomond developers"
copyright = "Lomond developers; BSD 3-Clause licence"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "README.rst"]
root_doc = "index"
language = "en"

# Broken cross-references are errors (the build runs with -W). Standard
# library names are left as plain text: intersphinx would need the network.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(ssl|socket|select|threading|logging|zlib|json|random)(\..*)?"),
    (r"py:class", r"(str|bytes|bytearray|memoryview|int|float|bool|dict|list|set|callable|function|optional)"),
]

autodoc_member_order = "bysource"
# Show defaults as written in the source (DEFAULT_MAX_SIZE, WebsocketSession).
autodoc_preserve_defaults = True
autodoc_default_options = {"show-inheritance": True}
autoclass_content = "class"

pygments_style = "sphinx"
highlight_language = "python"

html_theme = "alabaster"
html_theme_options = {
    "description": "A WebSocket client that stays connected",
    "fixed_sidebar": True,
    "show_relbars": True,
    "page_width": "1160px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_title = "Lomond {}".format(release)
html_static_path = []
