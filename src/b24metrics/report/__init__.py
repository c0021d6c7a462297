"""The report people look at (one offline HTML page with SVG charts) and exports for BI tools.

Reads the KPI layer only (kpis.cut over the KPI tables), never the portal: no HTTP here.

    write_report(warehouse, settings, Path("report.html"), period="month", lang="ru")
    export(warehouse, Path("export"), "parquet")
"""

from b24metrics.report.build import ReportResult, report_path, write_report
from b24metrics.report.export import FORMATS, Exported, export, is_export_file

__all__ = ["FORMATS", "Exported", "ReportResult", "export", "is_export_file", "report_path", "write_report"]
