// Link pages that need no workflow to answer: forged, expired and wrong-purpose tokens on the
// approval pages, and the unsubscribe confirm/one-click flow for an address with no running sequence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuppressed } from '../../src/data/suppressions.js';
import { signToken } from '../../src/tokens/index.js';
import { type Harness, SECRET, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const hour = 3600_000;
const approvalToken = (overrides: Record<string, unknown> = {}, secret = SECRET) =>
  signToken({ purpose: 'approval', workflowId: 'payout:ae:rep-1:2026-Q1', approver: 'mgr@acme.example', round: 0, exp: Date.now() + hour, ...overrides } as never, secret);
const unsubscribeToken = (email: string, overrides: Record<string, unknown> = {}, secret = SECRET) =>
  signToken({ purpose: 'unsubscribe', email, ruleId: 'webinar-follow-up', exp: Date.now() + hour, ...overrides } as never, secret);

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('approval links that cannot decide', () => {
  it('a forged token gets 403 on GET and POST, with a page that says nothing changed', async () => {
    for (const token of [approvalToken({}, 'someone-elses-secret-123'), 'garbage', `${approvalToken().split('.')[0]}.AAAA`]) {
      const get = await fetch(`${h.url}/approvals/${token}`);
      expect(get.status).toBe(403);
      const page = await get.text();
      expect(page).toContain('This link is not valid');
      expect(page).toContain('Nothing was changed');
      const post = await fetch(`${h.url}/approvals/${token}`, form({ decision: 'approve' }));
      expect(post.status).toBe(403);
    }
  });

  // The last of a signature's 43 characters carries 2 bits the decoder ignores: `…A`, `…B`, `…C`,
  // `…D` read as the same bytes, so a link changed by hand was still taken as the one sent.
  it('a signature respelled in its unused bits is not the link that was sent (403)', async () => {
    const token = approvalToken();
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    expect(Buffer.from(respelled.split('.')[1], 'base64url')).toEqual(Buffer.from(token.split('.')[1], 'base64url'));
    expect((await fetch(`${h.url}/approvals/${respelled}`)).status).toBe(403);
    expect((await fetch(`${h.url}/approvals/${respelled}`, form({ decision: 'approve' }))).status).toBe(403);
  });

  it('an expired token gets 410 on GET and POST', async () => {
    const token = approvalToken({ exp: Date.now() - 1000 });
    const get = await fetch(`${h.url}/approvals/${token}`);
    expect(get.status).toBe(410);
    expect(await get.text()).toContain('This link has expired');
    expect((await fetch(`${h.url}/approvals/${token}`, form({ decision: 'approve' }))).status).toBe(410);
  });

  it('PUT or DELETE on a link (or GET on a webhook URL) is 405 with Allow and changes nothing, not a 404 "nothing at this address"', async () => {
    const email = 'methods@example.com';
    for (const [url, method, allow] of [
      [`${h.url}/approvals/${approvalToken()}`, 'PUT', 'GET, HEAD, POST'],
      [`${h.url}/unsubscribe/${unsubscribeToken(email)}`, 'DELETE', 'GET, HEAD, POST'],
      [`${h.url}/webhooks/hubspot`, 'GET', 'POST'],
      [`${h.url}/events`, 'PUT', 'POST'],
    ] as const) {
      const res = await fetch(url, { method });
      expect([url, res.status, res.headers.get('allow')]).toEqual([url, 405, allow]);
    }
    expect(await isSuppressed(h.db, email)).toBe(false);
  });

  it('a trailing slash reaches the same address (a webhook URL pasted with one), and a wrong webhook address is told the right ones in JSON', async () => {
    const email = 'slash@example.com';
    const confirm = await fetch(`${h.url}/unsubscribe/${unsubscribeToken(email)}/`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Unsubscribe');
    const event = await fetch(`${h.url}/events/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(event.status).toBe(401);
    expect(await event.json()).toMatchObject({ error: 'unauthorized' });
    for (const [path, method, status, allow] of [
      ['/events/', 'GET', 405, 'POST'],
      ['/healthz', 'POST', 405, 'GET, HEAD'],
      ['/webhooks/hubspot/', 'GET', 405, 'POST'],
    ] as const) {
      const res = await fetch(`${h.url}${path}`, { method });
      expect([path, res.status, res.headers.get('allow')]).toEqual([path, status, allow]);
    }
    for (const path of ['/webhooks/hubspots', '/webhooks/generic', '/webhooks']) {
      const res = await fetch(`${h.url}${path}`, { method: 'POST', body: '[]' });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: 'not_found',
        message: `no webhook at ${path}: the addresses are /webhooks/hubspot, /webhooks/salesforce, /webhooks/zoho and /webhooks/generic/NAME (docs/crm.md)`,
      });
    }
    expect(await isSuppressed(h.db, email)).toBe(false);
  });

  it('a decision form larger than a full reason box can be is 413 saying so, not 400 "choose Approve or Reject"', async () => {
    const res = await fetch(`${h.url}/approvals/${approvalToken()}`, form({ decision: 'approve', reason: 'x'.repeat(30_000) }));
    expect(res.status).toBe(413);
    const page = await res.text();
    expect(page).toContain('The form is too large');
    expect(page).toContain('Nothing was changed');
  });

  it('an unsubscribe token is not an approval token', async () => {
    const res = await fetch(`${h.url}/approvals/${unsubscribeToken('ada@example.com')}`);
    expect(res.status).toBe(403);
  });

  it('token pages are not cached, not framed, send no referrer and allow no script', async () => {
    const res = await fetch(`${h.url}/approvals/${approvalToken({ exp: 1 })}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('script-src');
    // PUBLIC_URL is plain http here: no HSTS that would pin a dev host to https.
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('unsubscribe', () => {
  it('GET shows a confirmation button and suppresses nothing (mail scanners follow links)', async () => {
    const token = unsubscribeToken('grace@example.com');
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${h.url}/unsubscribe/${token}`, { method });
      expect(res.status).toBe(200);
      if (method === 'GET') {
        const page = await res.text();
        expect(page).toContain('Unsubscribe grace@example.com?');
        // Posts back to the page's own address (no path from the root: a proxy may serve salesflow under a prefix).
        expect(page).toContain('<form method="post">');
        expect(page).toContain('name="List-Unsubscribe" value="One-Click"');
      }
    }
    expect(await isSuppressed(h.db, 'grace@example.com')).toBe(false);
  });

  it('a one-click POST (RFC 8058) suppresses the address; a second one says it already was', async () => {
    const token = unsubscribeToken('Grace@Example.com');
    const res = await fetch(`${h.url}/unsubscribe/${token}`, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    expect(await isSuppressed(h.db, 'grace@example.com')).toBe(true);
    const again = await fetch(`${h.url}/unsubscribe/${token}`, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('was already unsubscribed');
    const confirm = await fetch(`${h.url}/unsubscribe/${token}`);
    expect(await confirm.text()).toContain('was already unsubscribed');
  });

  it('accepts the multipart body some mail providers send', async () => {
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    const res = await fetch(`${h.url}/unsubscribe/${unsubscribeToken('linus@example.com')}`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await isSuppressed(h.db, 'linus@example.com')).toBe(true);
  });

  it('forged and expired unsubscribe tokens change nothing', async () => {
    const forged = await fetch(`${h.url}/unsubscribe/${unsubscribeToken('eve@example.com', {}, 'not-the-secret-123456')}`, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(forged.status).toBe(403);
    const expired = await fetch(`${h.url}/unsubscribe/${unsubscribeToken('eve@example.com', { exp: Date.now() - 1 })}`, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(expired.status).toBe(410);
    expect(await isSuppressed(h.db, 'eve@example.com')).toBe(false);
  });

  it('escapes what it shows: an address cannot inject markup', async () => {
    const res = await fetch(`${h.url}/unsubscribe/${unsubscribeToken('"><script>alert(1)</script>@x.example')}`);
    const page = await res.text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&quot;&gt;&lt;script&gt;');
  });
});

it('behind an https PUBLIC_URL, pages also send HSTS', async () => {
  const https = await startHarness({ env: { PUBLIC_URL: 'https://salesflow.acme.example' } });
  try {
    const res = await fetch(`${https.url}/approvals/garbage`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
  } finally {
    await https.close();
  }
});
