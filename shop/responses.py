"""JSON responses of the shop's API, and the mark that tells the shop's server to lose a response."""

from django.http import HttpResponse, JsonResponse

# Set on a response that must never reach the client; shop/server.py cuts the connection instead.
_LOST_MARK = "_shop_lose_response"


def json_response(data: dict | list, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


def error_response(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def lose(response: HttpResponse) -> HttpResponse:
    """Mark the response as lost: runshop's server closes the connection without sending it.

    Other servers (the test client, runserver) ignore the mark and deliver the response.
    """
    setattr(response, _LOST_MARK, True)
    return response


def is_lost(response: HttpResponse) -> bool:
    return getattr(response, _LOST_MARK, False)
