"""Alibaba Cloud ID Verification (international eKYC) for Django."""

__version__ = "0.1.0.dev0"
