from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.webhooks import WebhookRejected

from .callbacks import process_shop_callback


@csrf_exempt  # a server-to-server call, authenticated by its Standard Webhooks signature, not by a cookie
@require_POST
def shop_webhook(request):
    try:
        result = process_shop_callback(body=request.body, headers=request.headers)
    except WebhookRejected as rejection:
        return JsonResponse({"error": str(rejection)}, status=rejection.status)
    return JsonResponse({"result": result.message}, status=result.status)
