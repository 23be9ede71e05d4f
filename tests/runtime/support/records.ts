// The lead and deal the event-routing tests start from: a webinar lead owned by r-ada, an open
// EUR renewal of hers; each test changes only the fields it is about.
import type { DealRecord, LeadRecord } from '../../../src/plan/records.js';

export function lead(id: string, extra: Partial<LeadRecord> = {}): LeadRecord {
  return {
    id, name: `Lead ${id}`, email: `${id.toLowerCase()}@prospect.example`, company: 'Prospect Inc', source: 'webinar',
    stage: 'new', owner: 'r-ada', timezone: 'UTC', score: '10', ...extra,
  };
}

export function deal(id: string, extra: Partial<DealRecord> = {}): DealRecord {
  return {
    id, rep: 'r-ada', name: `Deal ${id}`, amount: '12000', currency: 'EUR', stage: 'open', product: 'Platform',
    type: 'renewal', source: null, closed_at: null, contact: `${id.toLowerCase()}@customer.example`, ...extra,
  };
}
