"""The Prometheus scrape page: only with the bearer token (decision D47)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from . import metrics


@login_not_required
@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Answer the metrics to a scrape carrying HOA_NHAP_METRICS_TOKEN; 404 to anyone else."""
    if not metrics.token_accepted(request):
        # A 404 as for any unknown address: a prober learns nothing, the log keeps it.
        metrics.METRICS_REFUSED.inc()
        metrics.logger.warning("metrics scrape refused (missing or wrong token)")
        raise Http404
    response = HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    add_never_cache_headers(response)
    return response
