// Built-in mappings for HubSpot, Salesforce and Zoho CRM, in the same shape a team writes in
// rules/crm/NAME.yaml: a team's file says `preset: hubspot` and only what differs (a custom stage,
// a product property). Field names are the vendors' documented defaults; CSV headers are what their
// standard exports write. Anything a portal customises (pipelines, custom fields) goes in the file.
import type { PresetName } from './types.js';

export type RawMapping = Record<string, unknown>;

const dealEvents = { created: 'deal.created', updated: 'deal.updated', won: 'deal.won', lost: 'deal.lost' };
const leadEvents = { created: 'lead.created', updated: 'lead.updated' };

export const presets: Record<PresetName, RawMapping> = {
  hubspot: {
    timezone: 'UTC',
    date_format: 'YYYY-MM-DD',
    unknown_owner: 'error',
    deal: {
      objects: ['deal'],
      fields: {
        id: 'hs_object_id', name: 'dealname', amount: 'amount', currency: 'deal_currency_code', stage: 'dealstage',
        closed_at: 'closedate', rep: 'hubspot_owner_id', type: 'dealtype', source: 'hs_analytics_source',
      },
      csv: {
        id: 'Record ID', name: 'Deal Name', amount: 'Amount', currency: 'Currency', stage: 'Deal Stage',
        closed_at: 'Close Date', rep: 'Deal owner', type: 'Deal Type',
      },
      // The default sales pipeline's internal values and the labels exports print. Custom
      // pipelines have numeric stage ids: map them in the team's file, or they are refused.
      stages: {
        appointmentscheduled: 'open', qualifiedtobuy: 'open', presentationscheduled: 'open',
        decisionmakerboughtin: 'open', contractsent: 'open', closedwon: 'won', closedlost: 'lost',
        'appointment scheduled': 'open', 'qualified to buy': 'open', 'presentation scheduled': 'open',
        'decision maker bought-in': 'open', 'contract sent': 'open', 'closed won': 'won', 'closed lost': 'lost',
      },
      unknown_stage: 'error',
      types: { newbusiness: 'new', existingbusiness: 'expansion', 'new business': 'new', 'existing business': 'expansion' },
      currency: 'USD',
      events: dealEvents,
    },
    lead: {
      objects: ['contact'],
      fields: {
        id: 'hs_object_id', name: ['firstname', 'lastname'], email: 'email', company: 'company',
        source: 'hs_analytics_source', stage: 'lifecyclestage', owner: 'hubspot_owner_id', score: 'hubspotscore',
      },
      csv: {
        id: 'Record ID', name: ['First Name', 'Last Name'], email: 'Email', company: 'Company Name',
        source: 'Original Source', stage: 'Lifecycle Stage', owner: 'Contact owner',
      },
      events: leadEvents,
    },
    rep: {
      objects: ['owner'],
      fields: { crm_id: 'id', name: ['firstName', 'lastName'], email: 'email' },
      csv: { crm_id: 'Owner ID', name: ['First Name', 'Last Name'], email: 'Email', team: 'Team' },
      events: { created: null, updated: null },
    },
    webhook: { event_id: ['eventId'] },
  },

  salesforce: {
    timezone: 'UTC',
    date_format: 'MM/DD/YYYY',
    unknown_owner: 'error',
    deal: {
      objects: ['Opportunity'],
      fields: {
        id: 'Id', name: 'Name', amount: 'Amount', currency: 'CurrencyIsoCode', stage: 'StageName',
        closed_at: 'CloseDate', rep: 'OwnerId', type: 'Type', source: 'LeadSource',
      },
      csv: {
        id: 'Opportunity ID', name: 'Opportunity Name', amount: 'Amount', currency: 'Opportunity Currency',
        stage: 'Stage', closed_at: 'Close Date', rep: 'Opportunity Owner', type: 'Type', source: 'Lead Source',
      },
      // Only the two closed stages are standard; open stages are each org's own.
      stages: { 'closed won': 'won', 'closed lost': 'lost' },
      types: {
        'new customer': 'new', 'existing customer - upgrade': 'expansion',
        'existing customer - replacement': 'renewal', 'existing customer - downgrade': 'renewal',
      },
      unknown_stage: 'open',
      currency: 'USD',
      events: dealEvents,
    },
    lead: {
      objects: ['Lead'],
      fields: {
        id: 'Id', name: ['FirstName', 'LastName'], email: 'Email', company: 'Company', source: 'LeadSource',
        stage: 'Status', owner: 'OwnerId',
      },
      csv: {
        id: 'Lead ID', name: ['First Name', 'Last Name'], email: 'Email', company: 'Company / Account',
        source: 'Lead Source', stage: 'Lead Status', owner: 'Lead Owner',
      },
      events: leadEvents,
    },
    rep: {
      objects: ['User'],
      fields: { crm_id: 'Id', name: ['FirstName', 'LastName'], email: 'Email' },
      csv: { crm_id: 'User ID', name: ['First Name', 'Last Name'], email: 'Email', role: 'Role' },
      events: { created: null, updated: null },
    },
    webhook: { event_id: ['Id'], version: 'LastModifiedDate' },
  },

  zoho: {
    timezone: 'UTC',
    date_format: 'YYYY-MM-DD',
    unknown_owner: 'error',
    deal: {
      objects: ['Deals'],
      fields: {
        id: 'id', name: 'Deal_Name', amount: 'Amount', currency: 'Currency', stage: 'Stage',
        closed_at: 'Closing_Date', rep: 'Owner', type: 'Type', source: 'Lead_Source', contact: 'Contact_Email',
      },
      csv: {
        id: 'Record Id', name: 'Deal Name', amount: 'Amount', currency: 'Currency', stage: 'Stage',
        closed_at: 'Closing Date', rep: 'Deal Owner', type: 'Type', source: 'Lead Source',
      },
      stages: {
        'closed won': 'won', 'closed lost': 'lost', 'closed-lost to competition': 'lost',
        qualification: 'open', 'needs analysis': 'open', 'value proposition': 'open',
        'identify decision makers': 'open', 'proposal/price quote': 'open', 'negotiation/review': 'open',
      },
      unknown_stage: 'open',
      types: { 'new business': 'new', 'existing business': 'expansion' },
      currency: 'USD',
      events: dealEvents,
    },
    lead: {
      objects: ['Leads'],
      fields: {
        id: 'id', name: ['First_Name', 'Last_Name'], email: 'Email', company: 'Company', source: 'Lead_Source',
        stage: 'Lead_Status', owner: 'Owner',
      },
      csv: {
        id: 'Record Id', name: ['First Name', 'Last Name'], email: 'Email', company: 'Company',
        source: 'Lead Source', stage: 'Lead Status', owner: 'Lead Owner',
      },
      events: leadEvents,
    },
    rep: {
      objects: ['Users'],
      fields: { crm_id: 'id', name: 'full_name', email: 'email' },
      csv: { crm_id: 'User Id', name: 'Full Name', email: 'Email', role: 'Role' },
      events: { created: null, updated: null },
    },
    // A Zoho workflow webhook sends the parameters the admin picks: docs/crm.md lists these names.
    webhook: { secret_header: 'X-Salesflow-Token', object_path: 'module', event_id: ['id', 'Modified_Time'], version: 'Modified_Time' },
  },
};
