"""Channel-count rounding shared by the mobile families (GhostNet, GhostNetV2, TinyNet)."""


def make_divisible(value, divisor=4, min_value=None):
    """Rounds ``value`` to the nearest multiple of ``divisor``, never below ``min_value``
    (default ``divisor``) nor more than 10% below ``value`` (the MobileNet rule the upstream
    models use to scale widths).

    Args:
        value (float): The unrounded channel count.
        divisor (int): Defaults to 4.
        min_value (int, optional): Lower bound; defaults to ``divisor``.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded
