"""Customers as people: their whole record, export (portability) and erasure."""

from esperia.customers.privacy import (
    count_customer_rows,
    erase_customer,
    export_customer,
)

__all__ = ["count_customer_rows", "erase_customer", "export_customer"]
