"""Kubernetes resource quantities as exact numbers, for comparisons between them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

from compiler.model.roster import QUANTITY_PATTERN

_QUANTITY = re.compile(QUANTITY_PATTERN)
_SUFFIX = re.compile(r"([KMGTPE]i|[numkMGTPE]|[eE][-+]?[0-9.]+)$")

_MULTIPLIERS: dict[str, Decimal] = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}

# Kubernetes refuses quantities beyond about 2^63 in their canonical unit; anything
# this large is a typo, and refusing it keeps Decimal arithmetic bounded.
MAX_EXPONENT = 30

# Resources whose amounts may be fractional; everything else (pods, services,
# count/..., GPUs) counts whole objects or devices.
_FRACTIONAL = re.compile(
    r"^((requests|limits)\.)?(cpu|memory|storage|ephemeral-storage)$|hugepages-"
)


class QuantityError(ValueError):
    """A quantity that is not a valid Kubernetes quantity."""


def parse_quantity(value: int | str) -> Decimal:
    """Return the exact value of a Kubernetes quantity such as `500m`, `32Gi` or `1e3`."""
    if isinstance(value, int):
        return Decimal(value)
    if not _QUANTITY.match(value):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    match = _SUFFIX.search(value)
    suffix = match.group(1) if match else ""
    number = value[: len(value) - len(suffix)] if suffix else value
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            # "E" and "Ei" are exa and exbi; only an "e"/"E" followed by digits is an exponent.
            if suffix not in _MULTIPLIERS:
                exponent = Decimal(suffix[1:])
                if abs(exponent) > MAX_EXPONENT:
                    raise QuantityError(f"{value!r} is out of range")
                result = Decimal(number) * (Decimal(10) ** exponent)
            else:
                result = Decimal(number) * _MULTIPLIERS[suffix]
        except InvalidOperation as err:
            raise QuantityError(f"{value!r} is not a Kubernetes quantity") from err
    if result.adjusted() > MAX_EXPONENT:
        raise QuantityError(f"{value!r} is out of range")
    return result


def may_be_fractional(resource: str) -> bool:
    """Tell whether a resource's amount may have a fractional part (cpu, memory, storage)."""
    return bool(_FRACTIONAL.search(resource))
