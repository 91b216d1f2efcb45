from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .callbacks import WebhookRejected, process_shop_callback


@csrf_exempt  # a server-to-server call, authenticated by its HMAC signature, not by a cookie
@require_POST
def shop_webhook(request):
    try:
        result = process_shop_callback(
            body=request.body,
            timestamp=request.headers.get("X-Shop-Timestamp"),
            signature=request.headers.get("X-Shop-Signature"),
        )
    except WebhookRejected as rejection:
        return JsonResponse({"error": str(rejection)}, status=rejection.status)
    return JsonResponse({"result": result.message}, status=result.status)
