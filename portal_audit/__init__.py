"""portal-audit: audits the 政府信息公开 columns of government portals."""

__version__ = "0.1.0"
