// The store's schema: numbered migrations written once with type placeholders that
// become each dialect's types, applied at open under the schema_version table. Table
// and index list: docs/store.md.
//
// Thread safety: plain functions; ApplyMigrations serialises concurrent openers with the
// database's own locks (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"
#include "store/sql.h"

namespace lts::store::internal {

// The number of the newest migration.
int LatestSchemaVersion();

// Replaces {INT} {TEXT} {BLOB} {ROWID} {SERIAL} {NOROWID} with `dialect`'s spelling.
std::string ForDialect(std::string_view ddl, Dialect dialect);

// Applies migrations up to `target` (LatestSchemaVersion() when 0) in one transaction.
// kFailedPrecondition when the database is newer than this build.
Status ApplyMigrations(Connection* conn, Dialect dialect, int target);

// The version recorded in the database (0 when none).
StatusOr<int> ReadSchemaVersion(Connection* conn);

// DDL of BizLog table `n` (dialect-specific).
std::string BizLogTableDdl(int64_t n, Dialect dialect);
std::string BizLogTableName(int64_t n);

// SQL taking a transaction-scoped lock named `name` on PostgreSQL (no-op text on SQLite,
// whose writer lock is already held by BEGIN IMMEDIATE).
std::string AdvisoryLockSql(std::string_view name, Dialect dialect);

}  // namespace lts::store::internal
