from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "โรงเรียนและบุคลากร"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .auth import forget_user, remember_user
        from .models import User

        # Not business logic: the cached copy of a signed-in user must not outlive a change to
        # the row, whichever code path saved it (a service, the admin, the shell).
        post_save.connect(forget_user, sender=User, dispatch_uid="schools.forget_user.save")
        post_delete.connect(forget_user, sender=User, dispatch_uid="schools.forget_user.delete")
        # After Django's own receiver, which saves last_login (and so drops the copy).
        user_logged_in.connect(remember_user, dispatch_uid="schools.remember_user")
