// The workflows the worker registers (by these export names). Deterministic code only.
export { sequenceWorkflow } from './sequence.js';
export { payoutWorkflow } from './payout.js';
export { goalWorkflow } from './goal.js';
export { dispatchWorkflow } from './dispatch.js';
