// What connectors read and claim in the data source, as one small async interface, so webhook and
// import code does not depend on which database (or which data layer) is behind it.
import { claimRecordVersion, clearAmountStandIns, hasAmountStandIn, markAmountStandIns, newestRecordChange, newestRecordVersion, repIdForOwner, setRepCrmId } from '../data/crm.js';
import { clearCrmDeletion, crmDeletion, type DeletionOutcome, recordCrmDeletion } from '../data/crm-deletions.js';
import type { Db } from '../data/db.js';
import { getDeal } from '../data/deals.js';
import { eventRecorded } from '../data/events.js';
import { getLead } from '../data/leads.js';
import type { Delivery } from './deliveries.js';
import type { EntityRow } from './translate.js';

export interface CrmStore {
  /** What salesflow holds for a deal or lead id, or null. */
  stored(entity: 'deal' | 'lead', id: string): Promise<EntityRow | null>;
  /** The rep an owner value of `source` (a mapping's name) names: by that source's owner id, email or name. */
  repIdForOwner(owner: string, source: string): Promise<string | null>;
  /** Links `crmId` of `source` to the rep (src/data/crm.ts setRepCrmId); other sources' ids stay. */
  setRepCrmId(repId: string, crmId: string, source: string): Promise<void>;
  /** 'stale' when a newer change of the same record was already taken. */
  claimVersion(source: string, recordKey: string, version: number): Promise<'current' | 'stale'>;
  /** The newest version taken of a record (or record and property), or null; claims nothing. */
  newestVersion(source: string, recordKey: string): Promise<number | null>;
  /** Whether the deal's stored amount is a stand-in 0 (its CRM gave none; deal.missing_amount). */
  storedWithoutAmount(deal: string): Promise<boolean>;
  /** `given`: the CRM gave the deal an amount; `zero`: it is stored with 0 for want of one. */
  noteAmount(source: string, deal: string, amount: 'given' | 'zero'): Promise<void>;
  /** The newest change taken of a record: its version key, or any key `key:...` (per property). */
  newestChange(source: string, recordKey: string): Promise<number | null>;
  /** The deletion recorded for a deal (src/data/crm-deletions.ts), or null. */
  deletion(entity: 'deal' | 'lead', id: string): Promise<{ version: number; held: EntityRow | null } | null>;
  /** Removes a deal its CRM deleted or merged away (delivery.removal), recording why. */
  removeRecord(source: string, delivery: Delivery): Promise<DeletionOutcome>;
  clearDeletion(entity: 'deal' | 'lead', id: string): Promise<void>;
  /** Whether the salesflow event of this id was taken already (a CRM sending the change again). */
  eventTaken(eventId: string): Promise<boolean>;
}

/** The store over salesflow's data source (SQLite or PostgreSQL, src/data). */
export function dataCrmStore(db: Db): CrmStore {
  return {
    stored: (entity, id) => (entity === 'deal' ? getDeal(db, id) : getLead(db, id)),
    repIdForOwner: (owner, source) => repIdForOwner(db, owner, source),
    setRepCrmId: (repId, crmId, source) => setRepCrmId(db, repId, crmId, source),
    claimVersion: (source, key, version) => claimRecordVersion(db, source, key, version),
    newestVersion: (source, key) => newestRecordVersion(db, source, key),
    storedWithoutAmount: (deal) => hasAmountStandIn(db, deal),
    noteAmount: (source, deal, amount) => (amount === 'zero' ? markAmountStandIns(db, source, [deal]) : clearAmountStandIns(db, [deal])),
    newestChange: (source, key) => newestRecordChange(db, source, key),
    deletion: async (entity, id) => {
      const found = entity === 'deal' ? await crmDeletion(db, entity, id) : null;
      return found ? { version: found.version, held: found.held as EntityRow | null } : null;
    },
    removeRecord: (source, delivery) => {
      const removal = delivery.removal!;
      return recordCrmDeletion(db, {
        entity: 'deal', recordId: delivery.recordId, source, vendorEventId: delivery.vendorEventId, change: removal.change,
        mergedInto: removal.mergedInto, actor: removal.actor, version: removal.at, deletedAt: delivery.occurredAt, recordedAt: new Date().toISOString(),
      }, null);
    },
    clearDeletion: async (entity, id) => { if (entity === 'deal') await clearCrmDeletion(db, entity, id); },
    eventTaken: (eventId) => eventRecorded(db, eventId),
  };
}
