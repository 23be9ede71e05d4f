// What the HTTP layer is given. Everything is passed in (nothing read from the environment here), so
// `serve`, `dev` and the tests build the same server from different parts.
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import type { CrmEvent } from '../events/schema.js';
import type { Plan } from '../plan/schema.js';
import type { RouteOptions } from '../runtime/events.js';

/** Routes one accepted event into Temporal (start matching sequences, stop those it should stop). */
/** `absent`: entity fields the sender left out, which keep their stored values (POST /events). */
export type RouteEvent = (event: CrmEvent, absent?: readonly string[], options?: RouteOptions) => Promise<unknown>;

export interface DevOptions {
  /** Serve `/outbox` (caught emails) and the `/` overview page. */
  outbox: boolean;
  /** Base URL of the Temporal Web UI, for links from the overview page. */
  temporalUiUrl?: string;
}

export interface ServerDeps {
  config: Config;
  db: Db;
  temporalClient: Client;
  /** The rules the server was started with (overview page); null when none are loaded. */
  plan: Plan | null;
  /**
   * The plan to route each event by, and whose CRM mappings translate each webhook, asked for per
   * request (serve: the applied plan, re-read when a new apply recorded one). Absent: `plan`.
   */
  currentPlan?: () => Promise<Plan>;
  routeEvent?: RouteEvent;
  /**
   * Why events must not be routed through `temporalClient` now (serve: an apply elsewhere recorded
   * another Temporal since it started), asked per event request and by /readyz; null while fine.
   */
  otherTemporal?: () => Promise<string | null>;
  dev?: DevOptions;
  /** Epoch ms now (HubSpot's timestamp window, approval link expiry); tests pass their own clock. */
  clock?: () => number;
}

/** `deps` with the secret checked present: every signed thing needs it. */
export interface ServerContext extends ServerDeps {
  secret: string;
  /** The plan in force for this request: `currentPlan()`, else `plan`, else an empty plan. */
  planNow(): Promise<Plan>;
}
