"""Staff pages that need a permission of their own, beyond being staff (least privilege: a staff account
that may only view orders must not drive production). Refused with 403 and a page that names what is missing.
"""

from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied


def missing_permission(needed_for: str, permission: str, label: str, *, how: str = "") -> str:
    """The 403 page's sentence: what was refused, the permission by its label and name, and how to get it."""
    return (f"{needed_for} needs the permission “{label}” ({permission}), which your account does not have. "
            f"An administrator can grant it{how}.")


def staff_with_permission(permission: str, *, label: str, needed_for: str, how: str = "", also: tuple[str, ...] = ()):
    """Staff only, as before (anyone else goes to the admin's login), and of the staff only those who hold
    `permission` or one of `also` (superusers hold every permission); the others get 403 and a page (templates/
    403.html) saying which permission is missing."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not any(request.user.has_perm(held) for held in (permission, *also)):
                raise PermissionDenied(missing_permission(needed_for, permission, label, how=how))
            return view(request, *args, **kwargs)

        return staff_member_required(checked)

    return decorator
