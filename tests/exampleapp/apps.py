from django.apps import AppConfig


class ExampleAppConfig(AppConfig):
    name = "tests.exampleapp"
    label = "exampleapp"
    verbose_name = "Example app (tests only)"

    def ready(self) -> None:
        # Importing registers the audit actions and declares the capabilities.
        from . import capabilities, events  # noqa: F401
