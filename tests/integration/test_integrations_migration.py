"""API keys and stored Idempotency-Key answers moved from the api app to integrations
(`api/0002`, `integrations/0001`): a database migrated across the move keeps its keys,
which still open the API, and its stored answers, with no table changed."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from remit.integrations.keys import api_key_check
from remit.integrations.models import ApiKey, IdempotencyRecord
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("api", "0001_initial"), ("integrations", None)]
SECRET = "s3cret-made-before-the-move"


def migrate(targets):
    """Migrate the test database to `targets`; the models as they were at api/0001."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(("api", "0001_initial")).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def table_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        return {
            table: [c.name for c in connection.introspection.get_table_description(cursor, table)]
            for table in ("api_apikey", "api_idempotencyrecord")
        }


def test_a_key_made_before_the_move_still_opens_the_api_after_it():
    customer = make_customer()
    columns = table_columns()
    old = migrate(BEFORE_THE_MOVE)
    assert ("integrations", "0001_initial") not in MigrationExecutor(
        connection
    ).loader.applied_migrations
    OldKey = old.get_model("api", "ApiKey")
    OldRecord = old.get_model("api", "IdempotencyRecord")
    OldKey.objects.create(
        name="ERP",
        prefix="0a1b2c3d",
        secret_hash=hashlib.sha256(SECRET.encode()).hexdigest(),
        scope="write",
        customer_id=customer.pk,
    )
    OldRecord.objects.create(
        owner="api-key:1",
        key="erp-pay-7731",
        fingerprint="f" * 64,
        method="POST",
        path="/api/v1/payments",
        status=201,
        body=b'{"number": "PMT-000001"}',
        content_type="application/json",
        started_at=timezone.now(),
        completed_at=timezone.now(),
    )

    migrate(leaf_nodes())

    assert table_columns() == columns
    key = api_key_check(f"rk_0a1b2c3d_{SECRET}")
    assert key is not None and (key.name, key.customer_id) == ("ERP", customer.pk)
    assert ApiKey.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="erp-pay-7731")
    assert bytes(record.body) == b'{"number": "PMT-000001"}'
    answer = Client().get(
        "/api/v1/customers", headers={"Authorization": f"Bearer rk_0a1b2c3d_{SECRET}"}
    )
    assert answer.status_code == 200
    assert [c["number"] for c in answer.json()["items"]] == [customer.number]


def test_the_models_content_types_follow_them_to_integrations():
    from django.contrib.contenttypes.models import ContentType

    migrate(BEFORE_THE_MOVE)
    ContentType.objects.filter(app_label="integrations").delete()
    ContentType.objects.get_or_create(app_label="api", model="apikey")
    ContentType.objects.get_or_create(app_label="api", model="idempotencyrecord")

    migrate(leaf_nodes())

    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="api").exists()
    assert ContentType.objects.get_for_model(ApiKey).app_label == "integrations"
    assert ContentType.objects.get_for_model(IdempotencyRecord).app_label == "integrations"
