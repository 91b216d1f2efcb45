"""Keeps the shop simulator's tables in the "shop" database and everything else out of it."""

SHOP_DB = "shop"


class ShopRouter:
    def _is_shop(self, model) -> bool:
        return model._meta.app_label == "shop"

    def db_for_read(self, model, **hints):
        return SHOP_DB if self._is_shop(model) else None

    def db_for_write(self, model, **hints):
        return SHOP_DB if self._is_shop(model) else None

    def allow_relation(self, obj1, obj2, **hints):
        # No relation may cross from the app into the shop: they are separate systems.
        return self._is_shop(obj1) == self._is_shop(obj2)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == SHOP_DB:
            return app_label == "shop"
        return app_label != "shop"
