from django.apps import AppConfig


class ExampleAppConfig(AppConfig):
    name = "tests.exampleapp"
    label = "exampleapp"
    verbose_name = "Example app (tests only)"

    def ready(self) -> None:
        from cases import records

        from .records import NOTES

        records.register(NOTES)
