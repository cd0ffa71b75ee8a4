from django.urls import path

from reviews.api import views

urlpatterns = [
    path("entries/", views.EntryListCreate.as_view(), name="entry-list"),
    path("entries/batch/", views.EntryBatchCreate.as_view(), name="entry-batch"),
    path("entries/<int:pk>/", views.EntryDetail.as_view(), name="entry-detail"),
    path("entries/<int:pk>/adjustments/", views.EntryAdjust.as_view(), name="entry-adjust"),
    path("entries/<int:pk>/approve/", views.EntryApprove.as_view(), name="entry-approve"),
    path("entries/<int:pk>/reject/", views.EntryReject.as_view(), name="entry-reject"),
    path("me/entries/", views.MyEntryList.as_view(), name="my-entries"),
    path("disputes/", views.DisputeListOpen.as_view(), name="dispute-list"),
    path("disputes/<int:pk>/", views.DisputeDetail.as_view(), name="dispute-detail"),
    path("disputes/<int:pk>/answer/", views.DisputeAnswer.as_view(), name="dispute-answer"),
    path("review/queue/", views.ReviewQueue.as_view(), name="review-queue"),
    path("review/approve/", views.ReviewApproveSelected.as_view(), name="review-approve"),
    path("review/reject/", views.ReviewRejectSelected.as_view(), name="review-reject"),
    path("review/approve-matching/", views.ReviewApproveMatching.as_view(), name="review-approve-matching"),
    path("review/sign-off/", views.ReviewSignOff.as_view(), name="review-sign-off"),
    path("review/periods/", views.ReviewPeriodList.as_view(), name="review-periods"),
]
