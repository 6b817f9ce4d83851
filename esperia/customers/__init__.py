"""Customers as people: their whole record, export (portability) and erasure."""

from esperia.customers.privacy import erase_customer, export_customer

__all__ = ["erase_customer", "export_customer"]
