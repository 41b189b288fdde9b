"""portal-audit: audits the 政府信息公开 columns of government portals."""
