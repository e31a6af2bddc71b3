from django.urls import path

from clinical import views
from clinical.views import chart_lists, coding, notes

app_name = "clinical"

urlpatterns = [
    path("day/", views.doctor_day, name="doctor_day"),
    path("patients/<int:pk>/", views.chart, name="chart"),
    path("patients/<int:pk>/history/add/", views.history_create, name="history_create"),
    path("patients/<int:pk>/history/<slug:name>/", chart_lists.history_list, name="history_list"),
    path("patients/<int:pk>/visits/", chart_lists.visit_list, name="visit_list"),
    path("patients/<int:pk>/billable/", views.billable_items, name="billable_items"),
    path("patients/<int:pk>/access/", views.patient_access_log, name="patient_access_log"),
    path("history/<int:pk>/correct/", views.history_correct, name="history_correct"),
    path("history/<int:pk>/revisions/", views.history_revisions, name="history_revisions"),
    path("history/<int:pk>/code/", coding.history_code, name="history_code"),
    path("icd10/", coding.icd10_suggestions, name="icd10_suggestions"),
    path("visits/<int:pk>/template/", notes.visit_template_apply, name="visit_template_apply"),
    path("appointments/<int:pk>/start/", views.visit_start, name="visit_start"),
    path("visits/<int:pk>/", views.visit_record, name="visit_record"),
    path("visits/<int:pk>/items/", views.visit_item_add, name="visit_item_add"),
    path(
        "visits/<int:pk>/items/<int:item_pk>/remove/",
        views.visit_item_remove,
        name="visit_item_remove",
    ),
    path("visits/<int:pk>/complete/", views.visit_complete, name="visit_complete"),
    path("visits/<int:pk>/vitals/", views.vitals_add, name="vitals_add"),
    path("visits/<int:pk>/prescription/", views.prescription_add, name="prescription_add"),
    path(
        "visits/<int:pk>/prescription/<int:line_pk>/remove/",
        views.prescription_line_remove,
        name="prescription_line_remove",
    ),
    path("visits/<int:pk>/prescription.pdf", views.prescription_pdf_view, name="prescription_pdf"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/csv/", views.audit_csv, name="audit_csv"),
]
