// The service's database schema: every feature's migrations, in the order they apply (the
// deployment binding, then access: its tenants are what the others belong to). A new feature with tables adds its list here.
import { ACCESS_MIGRATIONS } from './access/sql/migrations';
import { DEPLOYMENT_MIGRATIONS } from './deployment/sql/migrations';
import { IDENTITY_MIGRATIONS } from './identity/sql/migrations';
import { NOTARIZATION_MIGRATIONS } from './notarization/sql/migrations';
import { TIMESTAMPING_MIGRATIONS } from './timestamping/sql/migrations';
import { openDatabase, type DatabaseOptions } from './platform/database/open-database';
import type { FeatureMigrations } from './platform/database/migrations';
import type { SqlClient } from './platform/database/sql-client';
import { WEBHOOK_MIGRATIONS } from './webhooks/sql/migrations';
import { WALLET_MIGRATIONS } from './wallets/sql/migrations';

export const SERVICE_SCHEMA: readonly FeatureMigrations[] = [DEPLOYMENT_MIGRATIONS, ACCESS_MIGRATIONS, NOTARIZATION_MIGRATIONS, IDENTITY_MIGRATIONS, TIMESTAMPING_MIGRATIONS, WEBHOOK_MIGRATIONS, WALLET_MIGRATIONS];

/** The configured database, migrated to the service's schema. */
export function openServiceDatabase(options: DatabaseOptions): Promise<SqlClient> {
  return openDatabase(options, SERVICE_SCHEMA);
}
