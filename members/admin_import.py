"""Excel/CSV import and export in the admin: preview first, all or nothing, errors in Chinese."""

from __future__ import annotations

import tablib
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import SelectableFieldsExportForm

from config.parked_uploads import ParkedUploadStorage, admin_import_user
from config.spreadsheets import SpreadsheetRefused, check_xlsx, csv_row, csv_rows_read, xlsx_file
from members.resources import import_problems

# How many problem lines a redirect message carries; the preview page lists them all.
MESSAGE_PROBLEM_LIMIT = 20


class ChineseCSV(CSV):
    """CSV as Excel writes it on Chinese Windows: "CSV UTF-8" (with a BOM) or plain "CSV", which is
    GBK. Read as bytes and decoded here, trying UTF-8 first: GBK bytes are almost never valid UTF-8,
    so the guess is safe, and gb18030 is a superset of GBK."""

    ENCODINGS = ("utf-8-sig", "gb18030")

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            for encoding in self.ENCODINGS:
                try:
                    in_stream = in_stream.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
        dataset = super().create_dataset(in_stream, **kwargs)
        if "'" in in_stream:  # an export of ours sent back: its quoted formula-like cells as they were
            dataset = tablib.Dataset(*csv_rows_read(list(dataset)), headers=dataset.headers)
        return dataset


class MeasuredXLSX(XLSX):
    """.xlsx in and out of the admin: measured before openpyxl opens it (config.spreadsheets), and
    written with every text cell as text, never a formula."""

    def create_dataset(self, in_stream):
        check_xlsx(in_stream)
        return super().create_dataset(in_stream)

    def export_data(self, dataset, **kwargs):
        from tablib.formats._xlsx import safe_xlsx_sheet_title

        return xlsx_file(dataset.headers, dataset,
                         title=safe_xlsx_sheet_title(dataset.title) if dataset.title else "Tablib Dataset")


class FormulaSafeCSV(CSV):
    """Exported CSV whose text cells a spreadsheet shows as text, never runs as a formula."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(*(csv_row(row) for row in dataset),
                              headers=csv_row(dataset.headers) if dataset.headers else None)
        return super().export_data(safe, **kwargs)


class ChineseExportForm(SelectableFieldsExportForm):
    """The column checkboxes labelled with the Chinese column names only."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class PortalImportExportMixin(ImportExportMixin):
    """The import page runs a dry run and shows a preview (import-export's confirm step); only a
    file with no problem at all can be confirmed, and the confirmed import is itself rolled back if
    any row fails (PortalResource.import_data)."""

    import_template_name = "admin/portal_import.html"
    export_form_class = ChineseExportForm
    import_formats = [MeasuredXLSX, ChineseCSV]
    export_formats = [MeasuredXLSX, FormulaSafeCSV]
    # Exported CSV gets a BOM, without which Excel would open UTF-8 as GBK and garble the Chinese.
    to_encoding = "utf-8-sig"
    # The previewed file waits in the bounded, expiring parked uploads of the staff member's account
    # (config/parked_uploads.py), not in the system's temporary directory without limit.
    tmp_storage_class = ParkedUploadStorage

    def get_resource_kwargs(self, request, *args, **kwargs):
        # The user decides what the resource may reveal (masked ID numbers in exports and previews).
        return {"user": request.user}

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetRefused):
            form.add_error("import_file", str(e))
            return
        form.add_error("import_file", _("无法读取该文件。请确认所选格式（xlsx 或 csv）与文件一致，且文件未损坏。"))

    def import_action(self, request, **kwargs):
        parking = admin_import_user.set(request.user.pk)
        try:
            response = super().import_action(request, **kwargs)
        finally:
            admin_import_user.reset(parking)
        context = getattr(response, "context_data", None)
        result = context.get("result") if context else None
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            resource = self.get_import_resource_classes(request)[0](**self.get_resource_kwargs(request))
            context["import_problems"] = import_problems(result, resource)
        return response

    def process_import(self, request, **kwargs):
        parking = admin_import_user.set(request.user.pk)
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # Parked longer than its expiry, or pushed out by two newer previews of this account.
            messages.error(request, _("导入文件已过期，请重新上传。"))
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_import"))
        finally:
            admin_import_user.reset(parking)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirm: nothing was saved (rolled back).
            resource = self.get_import_resource_classes(request)[0](**self.get_resource_kwargs(request))
            problems = import_problems(result, resource)
            messages.error(request, " ".join([_("导入未完成，没有保存任何数据。"), *problems[:MESSAGE_PROBLEM_LIMIT]]))
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_import"))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            _("导入完成：新增 %(new)s 条，更新 %(update)s 条，跳过 %(skip)s 条（%(what)s）。") % {
                "new": totals["new"], "update": totals["update"], "skip": totals["skip"],
                "what": self.model._meta.verbose_name_plural},
        )
