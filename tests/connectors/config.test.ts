// The CRM connectors' environment (src/config.ts): validated once at start, a bad value named.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('CRM configuration', () => {
  it('reads the vendors\' secrets, the HubSpot API base and per-source generic secrets', () => {
    const config = loadConfig({
      HUBSPOT_APP_SECRET: 'hs-secret', HUBSPOT_API_TOKEN: 'pat-na1-x', HUBSPOT_API_URL: 'http://127.0.0.1:9999/',
      SALESFORCE_ORG_ID: '00D5g000004ABCDEAA', ZOHO_WEBHOOK_SECRET: 'zoho-secret-0123456789',
      SALESFLOW_WEBHOOK_SECRET_FXIAOKE: 'fxiaoke-secret-0123456789', SALESFLOW_WEBHOOK_SECRET_MY_CRM: 'my-crm-secret-0123456789',
    });
    expect(config.crm).toEqual({
      hubspot: { appSecret: 'hs-secret', apiToken: 'pat-na1-x', apiUrl: 'http://127.0.0.1:9999' },
      salesforce: { orgId: '00D5g000004ABCDEAA' },
      zoho: { secret: 'zoho-secret-0123456789' },
      genericSecrets: new Map([['fxiaoke', 'fxiaoke-secret-0123456789'], ['my_crm', 'my-crm-secret-0123456789']]),
      bodyLimit: 1024 * 1024,
    });
    expect(loadConfig({}).crm?.hubspot.apiUrl).toBe('https://api.hubapi.com');
  });

  it('stops at start naming the variable when a value is bad', () => {
    const bad = (env: Record<string, string>) => { try { loadConfig(env); return ''; } catch (err) { expect(err).toBeInstanceOf(ConfigError); return (err as Error).message; } };
    expect(bad({ SALESFORCE_ORG_ID: '00D-nope' })).toContain('SALESFORCE_ORG_ID: expected a 15- or 18-character Salesforce org id');
    expect(bad({ ZOHO_WEBHOOK_SECRET: 'short' })).toContain('ZOHO_WEBHOOK_SECRET: must be at least 16 characters');
    expect(bad({ HUBSPOT_API_URL: 'api.hubapi.com' })).toContain('HUBSPOT_API_URL: expected an absolute URL');
    expect(bad({ SALESFLOW_WEBHOOK_SECRET_FXIAOKE: 'short' })).toContain('SALESFLOW_WEBHOOK_SECRET_FXIAOKE: must be at least 16 characters');
    expect(bad({ WEBHOOK_BODY_LIMIT: '-1' })).toContain('WEBHOOK_BODY_LIMIT');
  });
});
