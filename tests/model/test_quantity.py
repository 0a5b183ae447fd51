"""Kubernetes quantities read as exact numbers: every suffix, exponents, what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.model.quantity import QuantityError, may_be_fractional, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal(0)),
        ("8", Decimal(8)),
        ("500m", Decimal("0.5")),
        ("1.5", Decimal("1.5")),
        ("100u", Decimal("0.0001")),
        ("3n", Decimal("3e-9")),
        ("2k", Decimal(2000)),
        ("1M", Decimal(10**6)),
        ("1G", Decimal(10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),  # exa, not an exponent with no digits
        ("32Ki", Decimal(32 * 2**10)),
        ("32Mi", Decimal(32 * 2**20)),
        ("32Gi", Decimal(32 * 2**30)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),  # exbi
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("12e-1", Decimal("1.2")),
        ("+4", Decimal(4)),
    ],
)
def test_a_quantity_reads_as_kubernetes_reads_it(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Gi", "1GiB", "1 Gi", "1e", "one", "1.2.3", "1e400", "1e31"])
def test_what_is_no_quantity_or_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@given(number=st.integers(0, 10**6), power=st.sampled_from("KMGTPE"))
def test_binary_suffixes_are_powers_of_1024_and_decimal_ones_of_1000(
    number: int, power: str
) -> None:
    step = "KMGTPE".index(power) + 1
    assert parse_quantity(f"{number}{power}i") == number * 1024**step
    decimal = "k" if power == "K" else power
    assert parse_quantity(f"{number}{decimal}") == number * 1000**step


@pytest.mark.parametrize(
    ("resource", "fractional"),
    [
        ("cpu", True),
        ("requests.memory", True),
        ("limits.ephemeral-storage", True),
        ("hugepages-2Mi", True),
        ("pods", False),
        ("count/deployments.apps", False),
        ("requests.nvidia.com/gpu", False),
    ],
)
def test_only_divisible_resources_may_be_fractional(resource: str, fractional: bool) -> None:
    assert may_be_fractional(resource) is fractional
