"""The one initial migration builds the schema the models declare, on an empty database, and undoes it.

Nothing was released before it, so the development chain (0001..0013) was replaced by ``0001_initial``, not
squashed with ``replaces``: there is no database to upgrade from.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db(transaction=True)

APP = "django_ekyc"


def concrete_models() -> list[type[models.Model]]:
    return [model for model in apps.get_app_config(APP).get_models() if model._meta.managed and not model._meta.proxy]


def tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def declared_names(model: type[models.Model]) -> set[str]:
    return {item.name for item in [*model._meta.indexes, *model._meta.constraints]}


@pytest.fixture
def at_zero() -> Iterator[None]:
    call_command("migrate", APP, "zero", verbosity=0)
    yield
    call_command("migrate", APP, verbosity=0)  # back to the latest whatever happened


def test_the_app_has_one_initial_migration() -> None:
    loader = MigrationLoader(connection)
    assert sorted(name for app, name in loader.disk_migrations if app == APP) == ["0001_initial"]
    assert loader.disk_migrations[(APP, "0001_initial")].initial is True


def test_the_models_need_no_new_migration() -> None:
    out = StringIO()
    call_command("makemigrations", APP, check=True, dry_run=True, stdout=out)  # SystemExit(1) on a change
    assert "No changes detected" in out.getvalue()


def test_every_model_has_its_table_indexes_and_constraints() -> None:
    """Partial indexes and conditional constraints included: the queries at scale rely on them by name."""
    with connection.cursor() as cursor:
        for model in concrete_models():
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert declared_names(model) <= set(found), model.__name__
            columns = {
                info.name for info in connection.introspection.get_table_description(cursor, model._meta.db_table)
            }
            assert {field.column for field in model._meta.local_concrete_fields} == columns, model.__name__


def test_migrating_to_zero_drops_every_table_and_back_restores_them(at_zero: None) -> None:
    ours = {model._meta.db_table for model in concrete_models()}
    assert ours and not ours & tables()
    call_command("migrate", APP, verbosity=0)
    assert ours <= tables()


def test_a_new_database_takes_a_verification_after_migrating(at_zero: None, user) -> None:
    """The schema from the one migration is the one the ORM writes: a transaction and its chained history."""
    from django_ekyc.models import KycTransaction
    from django_ekyc.services.trail import verify_database

    call_command("migrate", APP, verbosity=0)
    kyc = KycTransaction.objects.create(
        user=user, merchant_biz_id="1" * 32, merchant_user_id="u", return_token_hash="1" * 64, callback_token_hash="c"
    )
    kyc.events.create(kind="state_change", source="api")
    assert kyc.events.get().seq == 1
    assert list(verify_database()) == []
