// The serve start-up check of HubSpot's portal time zone against the mapping's (HubSpot's Close
// Date is a moment, counted on the day it falls on in the mapping's zone): names of one zone agree,
// zones that differ only in summer time do not.
import { expect, it } from 'vitest';
import { hubSpotZoneMismatch } from '../../src/connectors/hubspot.js';
import { findMapping } from '../../src/connectors/mapping/load.js';

const JANUARY = Date.parse('2026-01-15T12:00:00Z');
const preset = findMapping([], 'hubspot')!;

it('two names of one zone agree; a zone with summer time is not UTC even in winter; an unknown name says nothing', () => {
  expect(hubSpotZoneMismatch('US/Eastern', { ...preset, timezone: 'America/New_York' }, JANUARY)).toBeNull();
  expect(hubSpotZoneMismatch('UTC', preset, JANUARY)).toBeNull();
  expect(hubSpotZoneMismatch('Europe/London', preset, JANUARY)).toMatch(/^the HubSpot portal's time zone is Europe\/London, but the hubspot mapping counts close dates on the day they fall on in UTC: /);
  expect(hubSpotZoneMismatch('Mars/Olympus_Mons', preset, JANUARY)).toBeNull();
});
