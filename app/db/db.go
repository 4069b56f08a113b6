// Package db opens PostgreSQL or the embedded SQLite database and applies the
// numbered SQL migrations; the schema never comes from AutoMigrate.
package db

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/inspraak/inspraak/app/config"
)

// Dialect names as GORM reports them.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Open connects to PostgreSQL when DATABASE_URL is set, else to the SQLite
// file in DATA_DIR, and sets pool limits.
func Open(cfg config.Config, log *slog.Logger) (*gorm.DB, error) {
	if cfg.Postgres() {
		return open(postgresDialector(cfg.DatabaseURL), Postgres, cfg.DBMaxOpenConns, cfg.DBMaxIdleConns, log)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create DATA_DIR: %w", err)
	}
	return OpenSQLite(filepath.Join(cfg.DataDir, "inspraak.db"), log)
}

// OpenSQLite opens (creating it if need be) one SQLite file with WAL,
// foreign keys and a busy timeout; write transactions take the lock at BEGIN
// so two writers wait instead of failing half-way.
func OpenSQLite(path string, log *slog.Logger) (*gorm.DB, error) {
	// No _time_format: the driver's default is already SQLite's format, and
	// naming it makes the driver skip _txlock (glebarez/go-sqlite v1.21.2).
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	return open(sqlite.Open(dsn), SQLite, 8, 8, log)
}

func open(d gorm.Dialector, name string, maxOpen, maxIdle int, log *slog.Logger) (*gorm.DB, error) {
	gdb, err := gorm.Open(d, &gorm.Config{
		Logger: logger.New(slog.NewLogLogger(log.Handler(), slog.LevelWarn), logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // never log values: hashes, emails, answers
		}),
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", name, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(min(maxIdle, maxOpen))
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("reach %s database: %w", name, err)
	}
	return gdb, nil
}

// Dialect tells which database gdb talks to.
func Dialect(gdb *gorm.DB) string { return gdb.Dialector.Name() }

// Migrate applies every pending migration of the dialect's folder. On
// PostgreSQL an advisory lock makes a second instance wait for the first.
func Migrate(ctx context.Context, gdb *gorm.DB, migrations fs.FS) ([]string, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	dialect := Dialect(gdb)
	dir, err := fs.Sub(migrations, dialect)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, sqlDB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	results, err := p.Up(ctx)
	applied := make([]string, 0, len(results))
	for _, r := range results {
		if r.Source != nil {
			applied = append(applied, filepath.Base(r.Source.Path))
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// Ping checks that the database answers, for /readyz.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the pool.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

func postgresDialector(dsn string) gorm.Dialector {
	return postgres.New(postgres.Config{DSN: dsn})
}
