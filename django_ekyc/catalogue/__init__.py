"""The provider, as data: its operations (from the official SDK), its products, its regions and documents.

Every other layer reads this package; nothing outside it decides by comparing a product code. Pure Python and no
Django, so that the simulator judges requests by the same tables.
"""
