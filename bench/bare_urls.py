"""Leadgate's URLs plus `POST /bench/bare`, for bench/bench_api_intake.py only.

The bare endpoint is the floor an intake request cannot go below on the same
server: the same middleware, one JSON parse and one committed row insert (into
`bench_bare`, a table the benchmark creates), nothing else.
"""

import json

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from leadgate.urls import urlpatterns as leadgate_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (email, payload, received_at) VALUES (%s, %s, %s)",
            [str(data.get("email", "")), json.dumps(data), timezone.now()],
        )
        row_id = cursor.lastrowid if connection.vendor == "sqlite" else None
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/bare", bare), *leadgate_urlpatterns]
