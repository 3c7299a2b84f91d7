// Command ferretdb-dev runs FerretDB v1 for local development and tests, with its SQLite handler
// (data in a folder) or its PostgreSQL handler (data in a PostgreSQL database that
// devservices/services.sh starts), adding the indexes FerretDB's pushed-down filters need.
//
// It imports the embeddable package because `go install` of FerretDB's own command panics
// without the version file its build generates.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "storage: sqlite or postgresql")
	dataDir := flag.String("data", "var/ferretdb", "directory holding the SQLite databases (sqlite handler)")
	postgresqlURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:5432/ferretdb",
		"PostgreSQL database holding the collections (postgresql handler)")
	ginFields := flag.String("gin-fields",
		"_id,dataset_id,namespace_id,dataset_database_name,dataset_table_name,data_point_id,file,code,severity",
		"document fields filtered by equality that get a GIN index in every table whose documents have them (postgresql handler)")
	flag.Parse()

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:  *handler,
	}
	var where string
	var dir string
	switch *handler {
	case "sqlite":
		var err error
		if dir, err = filepath.Abs(*dataDir); err != nil {
			log.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		config.SQLiteURL = "file:" + dir + "/"
		where = dir
	case "postgresql":
		config.PostgreSQLURL = *postgresqlURL
		where = *postgresqlURL
	default:
		log.Fatalf("unknown -handler %q: sqlite or postgresql", *handler)
	}
	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *handler == "sqlite" {
		go idIndexesKeep(ctx, dir, time.Second)
	} else {
		go ginIndexesKeep(ctx, *postgresqlURL, strings.Split(*ginFields, ","), time.Second)
	}

	log.Printf("ferretdb (%s) listening on %s, data in %s", *handler, *listen, where)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
