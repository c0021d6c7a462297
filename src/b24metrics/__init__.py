"""b24metrics: marketing and sales KPIs from a Bitrix24 CRM."""

__version__ = "0.1.0"
