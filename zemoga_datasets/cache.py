"""Django's database cache with an `incr` that two processes cannot interleave (CACHE_URL=db).

Django's own `incr` on its database cache is get-then-set: two web processes that read 5 at once
both write 6, and a hit is lost. The API's throttles count with `add` then `incr`, so with several
processes racing, lost hits would let a token through up to once per process. Here the read and
the write happen in one transaction holding the row: `SELECT … FOR UPDATE` on PostgreSQL; on
SQLite (no row locks) the settings' IMMEDIATE transactions take the write lock at BEGIN, so two
increments run one after the other. (`add` is already safe: the key is the table's primary key,
so of two processes inserting it at once one fails and returns False.)
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class AtomicDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key, value_column = quote_name(self._table), quote_name("cache_key"), quote_name("value")
        # As Django's `has_key`: an expired row is no row.
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0, tzinfo=None))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value_column} FROM {table} WHERE {cache_key} = %s AND {quote_name('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {value_column} = %s WHERE {cache_key} = %s", [pickled, key])
        return value
