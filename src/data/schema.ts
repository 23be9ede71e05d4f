// The tables of the data source as Kysely sees them, so every store's query is type-checked once
// for both dialects. Money columns hold integer micros (BIGINT on PostgreSQL, which `pg` returns
// as a string; INTEGER on SQLite): stores never read them as JS numbers, metrics sum them in SQL.
import type { Generated } from 'kysely';

type Text = string;
type Maybe = string | null;
/** An int64 column: SQLite gives a number, PostgreSQL (int8) a string; written as bigint or number. */
type Int64 = number | string | bigint;

export interface RepsTable {
  id: Text; name: Text; email: Text; team: Maybe; role: Maybe; region: Maybe; manager: Maybe;
  timezone: Maybe; start_date: Maybe; updated_at: Text;
  /** The rep's CRM owner id (migration 5); emptied by migration 15, which moved the ids to rep_crm_ids. */
  crm_id?: Maybe;
  /** Last day employed (migration 6). */
  end_date: Maybe;
  /** emailKey(email) (migration 10): what lookups by address compare. */
  email_key: Maybe;
}

export interface DealsTable {
  id: Text; rep: Text; name: Maybe; amount: Text; amount_micros: Int64; currency: Text; stage: Text;
  product: Maybe; type: Maybe; source: Maybe; closed_at: Maybe; contact: Maybe; updated_at: Text;
  /** emailKey(contact) (migration 10). */
  contact_key: Maybe;
}

export interface LeadsTable {
  id: Text; name: Maybe; email: Text; company: Maybe; source: Maybe; stage: Maybe; owner: Maybe;
  timezone: Maybe; score: Maybe; updated_at: Text;
  /** emailKey(email) (migration 10). */
  email_key: Maybe;
}

export interface EventsTable { id: Text; type: Text; occurred_at: Text; payload: Text; received_at: Text }

export interface StatementsTable {
  workflow_id: Text; rule_id: Text; rule_name: Text; rule_version: Text; rep: Text; period: Text; currency: Text;
  total: Text; total_micros: Int64 | null; statement: Text; status: Text; decided_by: Maybe; decided_at: Maybe;
  reason: Maybe; created_at: Text; updated_at: Text;
  /** The plan the payout run belonged to (migration 7). */
  plan_hash: Maybe;
}

export interface LedgerTable {
  id: Generated<Int64>; rule_id: Text; rule_name: Text; rule_version: Text; rep: Text; period: Text; currency: Text;
  amount: Text; amount_micros: Int64 | null; approved_by: Text; approved_at: Text; workflow_id: Text;
  /** The plan the payout run belonged to (migration 7). */
  plan_hash: Maybe;
}

/** Every plan `salesflow apply` recorded (migration 7); the newest version is the applied plan. */
export interface AppliedPlansTable {
  version: Int64; hash: Text; plan: Text; rule_hashes: Text; rule_count: Int64; applied_at: Text;
  git_commit: Maybe; git_dirty: Int64 | null; rule_paths: Text;
}

export interface OutboxTable {
  id: Generated<Int64>; key: Text; workflow_id: Maybe; rule_id: Maybe; template: Maybe; to_addr: Text; from_addr: Text;
  subject: Text; html: Text; text: Text; headers: Text; status: Text; message_id: Maybe; error: Maybe;
  created_at: Text; sent_at: Maybe;
  /** Which sender holds the row while it mails it, and until when (migration 4). */
  claimed_by: Maybe; claimed_until: Maybe;
}

export interface SuppressionsTable { email: Text; reason: Text; created_at: Text }

export interface CaughtMailTable {
  id: Generated<Int64>; message_id: Maybe; mail_from: Text; rcpt_to: Text; subject: Maybe; raw: Text; received_at: Text;
}

/** The newest change taken per CRM record (migration 5), as epoch ms. */
export interface CrmVersionsTable { source: Text; record_key: Text; version: Int64 }
/** Who takes a CRM's webhook deliveries until when, epoch ms (migration 8; SQLite only). */
export interface CrmLocksTable { source: Text; holder: Text; expires_at: Int64 }
/** Deals stored with amount 0 because their CRM gave none (migration 9). */
export interface CrmAmountStandInsTable { deal: Text; source: Text; recorded_at: Text }
/** CRM changes a webhook could not translate (migration 11); raw is the change as JSON text. */
export interface CrmRejectionsTable {
  id: Generated<Int64>; source: Text; vendor_event_id: Text; entity: Text; record_id: Text; message: Text; raw: Text; rejected_at: Text;
}
/** CRM records deleted or merged away (migration 12); held is the record as salesflow held it, JSON text. */
export interface CrmDeletionsTable {
  entity: Text; record_id: Text; source: Text; vendor_event_id: Text; change: Text; merged_into: Maybe; actor: Maybe;
  version: Int64; deleted_at: Text; recorded_at: Text; held: Maybe;
}
/** A deal's credit shares (migration 6): percent as exact text. */
export interface CreditsTable { deal: Text; rep: Text; share: Text; type: Text; updated_at: Text }

/** Exchange rates (migration 6): 1 currency = rate to_currency from from_date. */
export interface RatesTable { currency: Text; to_currency: Text; rate: Text; from_date: Text; updated_at: Text }

export interface GoalRunsStartedTable { rule_id: Text; period: Text; rep_id: Text; started_at: Text }

/** Where the plan was last applied (migration 14): one row, slot 'applied'. */
export interface AppliedTemporalTable { slot: Text; address: Text; namespace: Text; namespace_id: Maybe; plan_version: Int64; applied_at: Text }

/** A rep's owner/user id per CRM source (migration 15); source '' is an id carried over from reps.crm_id, read by every source. */
export interface RepCrmIdsTable { source: Text; crm_id: Text; rep_id: Text }

export interface SchemaVersionTable { version: number; description: Text; applied_at: Text }

export interface Tables {
  reps: RepsTable;
  deals: DealsTable;
  credits: CreditsTable;
  rates: RatesTable;
  leads: LeadsTable;
  events: EventsTable;
  statements: StatementsTable;
  ledger: LedgerTable;
  outbox: OutboxTable;
  suppressions: SuppressionsTable;
  caught_mail: CaughtMailTable;
  crm_versions: CrmVersionsTable;
  crm_locks: CrmLocksTable;
  crm_amount_standins: CrmAmountStandInsTable;
  crm_rejections: CrmRejectionsTable;
  crm_deletions: CrmDeletionsTable;
  goal_runs_started: GoalRunsStartedTable;
  schema_version: SchemaVersionTable;
  applied_plans: AppliedPlansTable;
  applied_temporal: AppliedTemporalTable;
  rep_crm_ids: RepCrmIdsTable;
}
