from django.urls import path

from reviews import views

clerk_patterns = [
    path("", views.entry_list, name="list"),
    path("new/", views.entry_new, name="new"),
    path("grid/", views.entry_grid, name="grid"),
    path("import/", views.entry_import, name="import"),
    path("import/confirm/", views.entry_import_confirm, name="import_confirm"),
    path("import/<str:token>/bad-rows.csv", views.entry_import_bad_rows, name="import_bad_rows"),
    path("template.<str:fmt>", views.entry_template, name="template"),
    path("<int:pk>/", views.entry_detail, name="detail"),
    path("disputes/", views.dispute_list, name="disputes"),
]

review_patterns = [
    path("", views.review_queue, name="queue"),
    path("entry/<int:pk>/", views.review_entry, name="entry"),
    path("sign-off/", views.review_sign_off, name="sign_off"),
]

worker_patterns = [
    path("", views.my_entries, name="my_entries"),
]

clerk_patterns += [
    path("export/", views.entry_export, name="export"),
    path("disputes/export/", views.dispute_export, name="disputes_export"),
]

review_patterns += [
    path("export/", views.review_export, name="export"),
    path("progress/", views.review_progress, name="progress"),
    path("report/", views.review_report, name="report"),
]
