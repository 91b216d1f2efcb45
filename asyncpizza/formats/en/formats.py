"""One clock everywhere (the customer's pages, the trainer, the admin): 24 hours, with seconds, because the
order of attempts a second apart matters. Django's own English formats would show "3:16 p.m." in the admin.
Read through FORMAT_MODULE_PATH (settings)."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = "j M Y, H:i:s"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"
