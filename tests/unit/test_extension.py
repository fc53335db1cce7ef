import pytest

from lomond.extension import ExtensionSyntaxError, format_extension, parse_extensions


@pytest.mark.parametrize(
    "header, expected",
    [
        ("", []),
        ("   ", []),
        ("foo", [("foo", [])]),
        ("permessage-deflate", [("permessage-deflate", [])]),
        ("a, b", [("a", []), ("b", [])]),
        ("a,b,c", [("a", []), ("b", []), ("c", [])]),
        ("a; x", [("a", [("x", None)])]),
        ("a; x=1", [("a", [("x", "1")])]),
        ("a;x=1;y;z=two", [("a", [("x", "1"), ("y", None), ("z", "two")])]),
        ('a; x="10"', [("a", [("x", "10")])]),
        ('a; x="a\\b"', [("a", [("x", "ab")])]),
        ('a; x="\\1\\5"', [("a", [("x", "15")])]),
        ("\ta ;\tx = 1 , b ; y ", [("a", [("x", "1")]), ("b", [("y", None)])]),
        (", a,, ,b,", [("a", []), ("b", [])]),
        ("a; x, a; y", [("a", [("x", None)]), ("a", [("y", None)])]),
        (
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            [
                (
                    "permessage-deflate",
                    [("client_max_window_bits", None), ("server_max_window_bits", "10")],
                )
            ],
        ),
        ("x-!#$%&'*+-.^_`|~9", [("x-!#$%&'*+-.^_`|~9", [])]),
    ],
)
def test_parse(header, expected):
    assert parse_extensions(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        ";",
        "a;",
        "a; =1",
        "a=1",
        "a b",
        "a; x=",
        "a; x=1 2",
        'a; x="1',
        'a; x="1\\',
        'a; x=""',
        'a; x="1 2"',
        'a; x="a,b"',
        "a; x=(1)",
        "a; x; ;",
        "a/b",
        '"a"',
        "a; x=1;",
    ],
)
def test_syntax_errors(header):
    with pytest.raises(ExtensionSyntaxError):
        parse_extensions(header)


def test_syntax_error_is_a_value_error():
    assert issubclass(ExtensionSyntaxError, ValueError)


@pytest.mark.parametrize(
    "name, params, expected",
    [
        ("a", [], "a"),
        ("a", [("x", None)], "a; x"),
        ("a", [("x", "1"), ("y", None), ("z", "2")], "a; x=1; y; z=2"),
    ],
)
def test_format_extension(name, params, expected):
    assert format_extension(name, params) == expected
    assert parse_extensions(expected) == [(name, params)]
