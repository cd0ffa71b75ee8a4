"""The staff's award-round pages, under /staff/honours/ (namespace "honours")."""

from django.urls import path

from competitions.honours import views

app_name = "honours"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("new/", views.round_new, name="round_new"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/shortlist/", views.round_shortlist, name="round_shortlist"),
    path("<int:pk>/add/", views.nominee_add, name="nominee_add"),
    path("<int:pk>/nominees/<int:nominee_pk>/", views.nominee_trace, name="nominee"),
    path("<int:pk>/nominees/<int:nominee_pk>/remove/", views.nominee_remove, name="nominee_remove"),
    path("<int:pk>/propose/", views.round_propose, name="round_propose"),
    path("<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("<int:pk>/objections/<int:objection_pk>/answer/", views.objection_answer, name="objection_answer"),
    path("<int:pk>/finalize/", views.round_finalize, name="round_finalize"),
    path("<int:pk>/cancel/", views.round_cancel, name="round_cancel"),
    path("<int:pk>/documents/", views.documents_build, name="documents_build"),
    path("<int:pk>/documents/<str:kind>/", views.document_download, name="document"),
]
