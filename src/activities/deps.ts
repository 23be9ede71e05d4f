// What every activity needs from the outside world, injected once when the worker starts, so tests
// hand in a real SQLite file and a real SMTP server and production hands in the configured ones.
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import type { Transmission, TransmitResult } from './mail.js';

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  config: Pick<Config, 'publicUrl' | 'secret'>;
  /**
   * Hands a message to the relay and marks it sent (src/activities/mail.ts `transmit`) somewhere
   * other than this thread: the worker's send thread (send-thread.ts). Absent: done here, with `mailer`.
   */
  transmit?: (t: Transmission) => Promise<TransmitResult>;
  /**
   * Backtests only: the data source holds the whole history, so a goal check-in measures only
   * deals closed by its own date (in the rep's zone), as it would have seen them at the time.
   * Live, nothing later exists yet and the whole period is read.
   */
  measureAsOfCheckpoint?: boolean;
  /**
   * Backtests only: told of each recipient of a goal email that could not be resolved (a rep
   * without a manager for `rep.manager`), which a backtest lists as a note; live, the worker's
   * log has the warning.
   */
  noteRecipientProblem?: (message: string) => void;
}
