// What every activity needs from the outside world, injected once when the worker starts, so tests
// hand in a real SQLite file and a real SMTP server and production hands in the configured ones.
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  config: Pick<Config, 'publicUrl' | 'secret'>;
}
