// Schema migrations of the SQLite data source, applied in order inside one transaction each.
// A file made by an older salesflow is upgraded in place; a migration is never edited once
// released — add a new one instead.
//
// Money is stored twice: `amount` as the exact decimal text the CRM gave, and `amount_micros` as
// the same value scaled by 10^6 in an INTEGER, so SQL can sum it exactly (int64, no floats).

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'CRM entities, events, statements, ledger, outbox, suppressions',
    sql: `
      CREATE TABLE reps (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        team TEXT, role TEXT, region TEXT,
        manager TEXT,
        timezone TEXT,
        start_date TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX reps_email ON reps(email);

      CREATE TABLE deals (
        id TEXT PRIMARY KEY,
        rep TEXT NOT NULL,
        name TEXT,
        amount TEXT NOT NULL,
        amount_micros INTEGER NOT NULL,
        currency TEXT NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('open', 'won', 'lost')),
        product TEXT,
        type TEXT CHECK (type IS NULL OR type IN ('new', 'renewal', 'expansion')),
        source TEXT,
        closed_at TEXT,
        contact TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX deals_rep_closed ON deals(rep, closed_at);
      CREATE INDEX deals_closed ON deals(closed_at);
      CREATE INDEX deals_contact ON deals(contact);

      CREATE TABLE leads (
        id TEXT PRIMARY KEY,
        name TEXT,
        email TEXT NOT NULL,
        company TEXT, source TEXT, stage TEXT,
        owner TEXT,
        timezone TEXT,
        score TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX leads_email ON leads(email);

      -- Every accepted event once, by its id (webhook and CLI alike).
      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL
      );

      -- One statement per (rule, rep, period) run, recorded even when there is nothing to pay.
      CREATE TABLE statements (
        workflow_id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        rep TEXT NOT NULL,
        period TEXT NOT NULL,
        currency TEXT NOT NULL,
        total TEXT NOT NULL,
        statement TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('recorded', 'pending', 'approved', 'rejected')),
        decided_by TEXT,
        decided_at TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- The payout ledger: one row per (rule, rule version, rep, period), whatever happens.
      CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        rep TEXT NOT NULL,
        period TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        approved_at TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        UNIQUE (rule_id, rule_version, rep, period)
      );

      -- Every email salesflow means to send, keyed by (workflow, step, recipient), so a retried
      -- send activity finds its row and never mails twice.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        workflow_id TEXT,
        rule_id TEXT,
        template TEXT,
        to_addr TEXT NOT NULL,
        from_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        headers TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'suppressed', 'failed')),
        message_id TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
      );

      -- Addresses that never get another sequence email (lower-cased).
      CREATE TABLE suppressions (
        email TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'exact integer totals on statements and ledger; index for per-period metrics',
    sql: `
      -- Same two-column money convention as deals: exact text plus micros for SQL sums.
      ALTER TABLE statements ADD COLUMN total_micros INTEGER;
      ALTER TABLE ledger ADD COLUMN amount_micros INTEGER;
      CREATE INDEX statements_period ON statements(period, rule_id);
      CREATE INDEX ledger_period ON ledger(period, rule_id);
    `,
  },
  {
    version: 3,
    description: 'dev mail catcher: every message the local SMTP server received',
    sql: `
      -- Filled only by \`salesflow dev\`'s SMTP catcher: proof an email really left the worker.
      CREATE TABLE caught_mail (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT,
        mail_from TEXT NOT NULL,
        rcpt_to TEXT NOT NULL,
        subject TEXT,
        raw TEXT NOT NULL,
        received_at TEXT NOT NULL
      );
      CREATE INDEX caught_mail_message_id ON caught_mail(message_id);
    `,
  },
  {
    version: 4,
    description: 'applied plans (the one truth every process runs) and the plan hash on statements and ledger',
    sql: `
      -- One row per \`salesflow apply\` that changed the plan; never edited. The newest version is the
      -- applied plan. The version is the key, so two applies racing for the same next version
      -- cannot both win: the loser reads again and finds the plan already applied or retries.
      CREATE TABLE applied_plans (
        version INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        plan TEXT NOT NULL,
        rule_hashes TEXT NOT NULL,
        rule_count INTEGER NOT NULL,
        applied_at TEXT NOT NULL,
        git_commit TEXT,
        git_dirty INTEGER,
        rule_paths TEXT NOT NULL
      );
      CREATE INDEX applied_plans_hash ON applied_plans(hash);

      -- The applied plan a statement or payout ran with (NULL: recorded before plans were kept).
      ALTER TABLE statements ADD COLUMN plan_hash TEXT;
      ALTER TABLE ledger ADD COLUMN plan_hash TEXT;
    `,
  },
];
