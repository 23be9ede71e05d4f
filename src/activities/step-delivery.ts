// The emails of one send step with several recipients (`send "x" to rep, rep.manager`, a rejection
// notice to rep and manager), delivered in one activity. A recipient the relay turns away for now
// (a 4xx at RCPT TO: a full mailbox, greylisting) must not hold up the others: each recipient is
// tried, those accepted are recorded sent in the outbox (so the retry skips them by their keys),
// and only then does the attempt fail, retryably, for the deferred ones.
import { markFailed } from '../data/outbox.js';
import type { ActivityDeps } from './deps.js';
import { deliver, type DeliveryOutcome, type OutgoingEmail } from './mail.js';

export interface DeferredEmail {
  email: OutgoingEmail;
  error: Error & { responseCode?: number };
}

export class StepDelivery {
  private readonly waiting: DeferredEmail[] = [];

  constructor(private readonly deps: ActivityDeps) {}

  /** Deferred emails not given up: `finish` fails the attempt for them. */
  get deferred(): readonly DeferredEmail[] {
    return this.waiting;
  }

  /**
   * `deferred`: not accepted this time (4xx, relay down, another sender holding the row); the
   * activity's retry tries it again. Anything deliver throws is retryable, so nothing is lost here.
   */
  async deliver(email: OutgoingEmail): Promise<DeliveryOutcome | 'deferred'> {
    try {
      return await deliver(this.deps, email);
    } catch (err) {
      this.waiting.push({ email, error: err as DeferredEmail['error'] });
      return 'deferred';
    }
  }

  /** Stops retrying a deferred email: its outbox row is recorded failed with `reason`, so no retry sends it late. */
  async giveUp(deferred: DeferredEmail, reason: string): Promise<void> {
    await markFailed(this.deps.db, deferred.email.key, reason, true);
    this.waiting.splice(this.waiting.indexOf(deferred), 1);
  }

  /** Throws, for Temporal to retry the activity, while any recipient is still deferred. */
  finish(): void {
    if (this.waiting.length === 0) return;
    const list = this.waiting.map((d) => `${d.email.to} (${d.error.message})`).join('; ');
    throw Object.assign(new Error(`not accepted by the mail server for now, retrying: ${list}`), {
      responseCode: this.waiting[0].error.responseCode,
    });
  }
}
