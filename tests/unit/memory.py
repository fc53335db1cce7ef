"""What an object holds, for the tests about memory."""


def attributes(obj):
    """Every attribute value of ``obj``, whether it has a __dict__ or slots."""
    values = list(getattr(obj, "__dict__", {}).values())
    names = set()
    for cls in type(obj).__mro__:
        slots = getattr(cls, "__slots__", ())
        names.update([slots] if isinstance(slots, str) else slots)
    values.extend(getattr(obj, name) for name in names if hasattr(obj, name))
    return values
