// Every activity the workflows call, built once per worker from injected dependencies. Workflows
// import the `Activities` type only (through proxyActivities), never this module's code.
import type { ActivityDeps } from './deps.js';
import { dispatchActivities } from './dispatch.js';
import { goalActivities } from './goal.js';
import { payoutActivities } from './payout.js';
import { sequenceActivities } from './sequence.js';

export type { ActivityDeps } from './deps.js';
export { createMailer } from './mail.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...sequenceActivities(deps),
    ...payoutActivities(deps),
    ...goalActivities(deps),
    ...dispatchActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
