package main

// FerretDB v1.24's PostgreSQL backend stores a collection as a table `<name>_<hash>` with one
// `_jsonb` column, in a schema named after the MongoDB database (a schema that holds a
// `_ferretdb_database_metadata` table). It pushes equality filters down as
// `_jsonb->'field' @> '"value"'`, but the indexes `createIndexes` makes are b-trees on
// `(_jsonb->'field')`, which `@>` cannot use: every filtered read scans the table.
//
// This keeps a GIN index on `(_jsonb->'field')` for each of the given fields on every collection
// table whose documents have that field, whenever the table was created, and ANALYZEs tables
// that changed a lot since their last ANALYZE (without statistics PostgreSQL may not pick them).
// `fastupdate = off`: a backlog of pending GIN entries otherwise slows every lookup after a load.
// Production runs real MongoDB, where none of this applies.

import (
	"context"
	"fmt"
	"hash/fnv"
	"log"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	metadataTable = "_ferretdb_database_metadata"
	// Tables are sampled this many rows deep for their fields; a table this full is not sampled again.
	fieldSampleRows = 1000
	// A table is analyzed again once this many rows plus this share of its rows changed.
	analyzeMinRows  = 1000
	analyzeFraction = 0.5
)

type ginKeeper struct {
	pool   *pgxpool.Pool
	fields []string
	// Tables (by oid) sampled full: the fields their documents lack are not looked for again.
	settled map[uint32]bool
}

type collectionTable struct {
	oid    uint32
	schema string
	name   string
	gin    map[string]bool // fields that already have a GIN index
}

func (t collectionTable) ident() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// ginIndexExpression is how pg_get_indexdef prints the expression of such an index.
func ginIndexExpression(field string) string {
	return fmt.Sprintf("USING gin (((_jsonb -> '%s'::text)))", strings.ReplaceAll(field, "'", "''"))
}

func (k *ginKeeper) tables(ctx context.Context) ([]collectionTable, error) {
	rows, err := k.pool.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname,
		       coalesce(array_agg(pg_get_indexdef(i.indexrelid)) FILTER (WHERE i.indexrelid IS NOT NULL), '{}')
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_index i ON i.indrelid = c.oid
		WHERE c.relkind = 'r' AND c.relname NOT LIKE '\_ferretdb\_%'
		  AND EXISTS (SELECT 1 FROM pg_class m WHERE m.relnamespace = n.oid AND m.relname = $1)
		GROUP BY c.oid, n.nspname, c.relname`, metadataTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []collectionTable
	for rows.Next() {
		var t collectionTable
		var defs []string
		if err := rows.Scan(&t.oid, &t.schema, &t.name, &defs); err != nil {
			return nil, err
		}
		t.gin = map[string]bool{}
		for _, field := range k.fields {
			for _, def := range defs {
				if strings.Contains(def, ginIndexExpression(field)) {
					t.gin[field] = true
				}
			}
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

// presentFields returns which fields occur in the first rows of the table, and whether it has
// that many rows.
func (k *ginKeeper) presentFields(ctx context.Context, t collectionTable) (map[string]bool, bool, error) {
	var keys []string
	var sampled int
	q := fmt.Sprintf(`WITH s AS (SELECT _jsonb FROM %s LIMIT %d)
		SELECT (SELECT count(*) FROM s),
		       coalesce((SELECT array_agg(DISTINCT key) FROM s, jsonb_object_keys(s._jsonb) key), '{}')`,
		t.ident(), fieldSampleRows)
	if err := k.pool.QueryRow(ctx, q).Scan(&sampled, &keys); err != nil {
		return nil, false, err
	}
	present := map[string]bool{}
	for _, key := range keys {
		present[key] = true
	}
	return present, sampled >= fieldSampleRows, nil
}

func ginIndexName(t collectionTable, field string) string {
	h := fnv.New32a()
	h.Write([]byte(t.name + "\x00" + field))
	name := t.name
	if len(name) > 40 {
		name = name[:40]
	}
	// FerretDB's own index names end in `_idx`; these never collide with them.
	return fmt.Sprintf("%s_%08x_gin", name, h.Sum32())
}

// ensure adds the missing GIN indexes.
func (k *ginKeeper) ensure(ctx context.Context) error {
	tables, err := k.tables(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if len(t.gin) == len(k.fields) || k.settled[t.oid] {
			continue
		}
		present, full, err := k.presentFields(ctx, t)
		if err != nil {
			return fmt.Errorf("%s: %w", t.ident(), err)
		}
		present["_id"] = true // every document has one: index it while the table is empty
		for _, field := range k.fields {
			if t.gin[field] || !present[field] {
				continue
			}
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb -> '%s')) WITH (fastupdate = off)`,
				pgx.Identifier{ginIndexName(t, field)}.Sanitize(), t.ident(), strings.ReplaceAll(field, "'", "''"))
			if _, err := k.pool.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", t.ident(), err)
			}
		}
		if full {
			k.settled[t.oid] = true
		}
	}
	return nil
}

// analyze refreshes the statistics of collection tables that changed a lot since their last ANALYZE.
func (k *ginKeeper) analyze(ctx context.Context) error {
	rows, err := k.pool.Query(ctx, `
		SELECT s.schemaname, s.relname FROM pg_stat_user_tables s
		WHERE s.relname NOT LIKE '\_ferretdb\_%'
		  AND s.n_mod_since_analyze >= $2 + $3 * s.n_live_tup
		  AND EXISTS (SELECT 1 FROM pg_tables m WHERE m.schemaname = s.schemaname AND m.tablename = $1)`,
		metadataTable, analyzeMinRows, analyzeFraction)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var schema, name string
		if err := rows.Scan(&schema, &name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, pgx.Identifier{schema, name}.Sanitize())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := k.pool.Exec(ctx, "ANALYZE "+name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// ginIndexesKeep runs ensure and analyze now and then every interval, so that a collection gets
// its indexes while its table is still small.
func ginIndexesKeep(ctx context.Context, url string, fields []string, interval time.Duration) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		log.Printf("GIN indexes: %v", err)
		return
	}
	config.MaxConns = 1
	// Never queue DDL behind a long lock for long: the next round tries again.
	config.ConnConfig.RuntimeParams["lock_timeout"] = "2s"
	config.ConnConfig.RuntimeParams["application_name"] = "ferretdb-dev gin indexes"
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		log.Printf("GIN indexes: %v", err)
		return
	}
	defer pool.Close()
	keeper := &ginKeeper{pool: pool, fields: fields, settled: map[uint32]bool{}}

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		err := keeper.ensure(ctx)
		if err == nil {
			err = keeper.analyze(ctx)
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("GIN indexes: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
