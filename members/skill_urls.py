from django.urls import path

from members import skill_views

app_name = "skills"

urlpatterns = [
    path("", skill_views.certificate_list, name="certificates"),
    path("new/", skill_views.certificate_new, name="new"),
    path("import/", skill_views.certificate_import, name="import"),
    path("import/confirm/", skill_views.certificate_import_confirm, name="import_confirm"),
    path("import/<str:token>/bad-rows.csv", skill_views.certificate_import_bad_rows, name="import_bad_rows"),
    path("template.xlsx", skill_views.certificate_template, name="template"),
    path("import/<str:token>/bad-rows.xlsx", skill_views.certificate_import_bad_rows, {"fmt": "xlsx"},
         name="import_bad_rows_xlsx"),
]
