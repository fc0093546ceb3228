"""The registers app's models (each in the module of its part)."""

from .export_models import ExportStatus, RegisterExport

__all__ = ["ExportStatus", "RegisterExport"]
