package main

// FerretDB v1.24's SQLite backend pushes `_id` equality down as
// `WHERE _ferretdb_sjson->'$._id' = ?`, but its own `_id` index is built on the expression
// `_ferretdb_sjson->"_id"`, which SQLite does not consider the same: every lookup by `_id`
// scans the table until the first match. This adds an index on the exact pushed-down
// expression to every collection table, so lookups by `_id` (all the app's page reads) use it.
// Production runs real MongoDB, where none of this applies.

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

const idIndexSuffix = "_id_pushdown"

// idIndexesEnsure adds the missing indexes in every database file of dir.
func idIndexesEnsure(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	for _, file := range files {
		if err := idIndexesEnsureFile(ctx, file); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return nil
}

func idIndexesEnsureFile(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(20000)")
	if err != nil {
		return err
	}
	defer db.Close()

	rows, err := db.QueryContext(ctx, `SELECT t.name FROM sqlite_master t WHERE t.type = 'table'
		AND t.name NOT LIKE '\_ferretdb\_%' ESCAPE '\'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = t.name || ?)`, idIndexSuffix)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()

	for _, table := range tables {
		quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
		index := `"` + strings.ReplaceAll(table+idIndexSuffix, `"`, `""`) + `"`
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`, index, quoted)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// idIndexesKeep runs idIndexesEnsure now and then every interval, so that a collection gets its
// index while its table is still small.
func idIndexesKeep(ctx context.Context, dir string, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := idIndexesEnsure(ctx, dir); err != nil && ctx.Err() == nil {
			log.Printf("_id index: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
