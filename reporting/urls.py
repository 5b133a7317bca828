from django.urls import path

from reporting.views import (
    archives,
    dashboard,
    exports,
    oversight,
    overview,
    proposals,
    rankings,
    snapshots,
    targets,
)

app_name = "reporting"

urlpatterns = [
    path("overview/", overview.OverviewView.as_view(), name="overview"),
    path("overview.xlsx", overview.OverviewWorkbookView.as_view(), name="overview_xlsx"),
    path("overview.pdf", overview.OverviewPdfView.as_view(), name="overview_pdf"),
    path("snapshots/", snapshots.SnapshotListView.as_view(), name="snapshots"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("targets/", targets.TargetsView.as_view(), name="targets"),
    path("rankings/", rankings.RankingsView.as_view(), name="rankings"),
    path("rankings.xlsx", rankings.RankingsDownloadView.as_view(pdf=False), name="rankings_xlsx"),
    path("rankings.pdf", rankings.RankingsDownloadView.as_view(pdf=True), name="rankings_pdf"),
    path("exports/", exports.ExportListView.as_view(), name="exports"),
    path("exports/<int:export_pk>/", exports.ExportProgressView.as_view(), name="export"),
    path("proposals/", proposals.ProposalListView.as_view(), name="proposals"),
    path("proposals/compare/", proposals.CompareView.as_view(), name="proposal_compare"),
    path("proposals/<int:proposal_pk>/", proposals.ProposalView.as_view(), name="proposal"),
    path("simulations/<int:simulation_pk>/", proposals.SimulationProgressView.as_view(), name="simulation"),
    path("findings/", oversight.FindingListView.as_view(), name="finding_list"),
    path("findings/<int:finding_pk>/", oversight.FindingDetailView.as_view(), name="finding_detail"),
    path(
        "findings/<int:finding_pk>/evidence/<int:evidence_pk>/",
        oversight.FindingEvidenceView.as_view(),
        name="finding_evidence",
    ),
    path("leaving-audit/", oversight.LeavingAuditView.as_view(), name="leaving_audit"),
    path("archives/", archives.ArchiveListView.as_view(), name="archive_list"),
    path("archives/register.pdf", archives.ArchiveRegisterPdfView.as_view(), name="archive_register_pdf"),
    path("archives/<int:volume_pk>/cover.pdf", archives.ArchiveCoverView.as_view(), name="archive_cover"),
    path("letters/", archives.LetterListView.as_view(), name="letter_list"),
    path("letters/<int:letter_pk>/", archives.LetterFileView.as_view(), name="letter_file"),
]
