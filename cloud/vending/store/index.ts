// The vending store: its tables live in the cloud's database — the SQLite file, or
// PostgreSQL when the cloud store is (DATABASE_URL).
import { PostgresCloudStore, SqliteCloudStore, type CloudStore } from '../../store/index.js';
import { PostgresVendingStore } from './postgres.js';
import { SqliteVendingStore } from './sqlite.js';
import type { VendingStore } from './store.js';

export * from './records.js';
export { VendingQueries, type NewVendor, type NewVend, type DeliveryUpdate, type LockOption } from './queries.js';
export { VendingStore } from './store.js';
export { SqliteVendingStore } from './sqlite.js';
export { PostgresVendingStore } from './postgres.js';
export { VENDING_SCHEMA_VERSION, migrateVending } from './sqlite-schema.js';
export { VENDING_POSTGRES_SCHEMA_VERSION, migrateVendingPostgres } from './postgres-schema.js';

/** The vending store next to the cloud store's tables (created or migrated now). */
export async function openVendingStore(cloud: CloudStore): Promise<VendingStore> {
  if (cloud instanceof SqliteCloudStore) return SqliteVendingStore.open(cloud.db);
  if (cloud instanceof PostgresCloudStore) return PostgresVendingStore.open(cloud.pool);
  throw new Error(`vending: no vending store for a cloud store of kind ${(cloud as CloudStore).kind}`);
}
