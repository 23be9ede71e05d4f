// Response headers and request-origin checks shared by every route.
//
// Links carry capability tokens in their path, so pages must never leak their URL: no Referer
// (Referrer-Policy and the meta tag), not stored by shared caches (no-store), not framed by other
// sites (frame-ancestors / X-Frame-Options), and no script at all (CSP default-src 'none'); the one
// style allowed is the pages' own stylesheet, by its hash.
import type { MiddlewareHandler } from 'hono';
import { STYLESHEET_CSP_SOURCE } from './pages/layout.js';

export const STRICT_CSP =
  `default-src 'none'; style-src ${STYLESHEET_CSP_SOURCE}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    // Only when PUBLIC_URL is https: on plain-http dev setups it would pin localhost to https.
    if (options.https) h.set('Strict-Transport-Security', 'max-age=31536000');
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', STRICT_CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('X-Frame-Options', 'DENY');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
  };
}

/**
 * Is this POST positively from another site? The approval token is the only authority (there are no
 * cookies or sessions to ride on), so this is defence in depth: it stops a page elsewhere that has
 * seen a link from submitting a decision on the approver's behalf. `Sec-Fetch-Site` is what current
 * browsers send; `Origin` is checked when it names a real origin. Our no-referrer policy makes
 * browsers send `Origin: null` on same-origin form posts, so "null" alone is not evidence.
 */
export function isCrossSitePost(headers: Headers, allowedOrigins: string[]): boolean {
  const site = headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = headers.get('origin');
  if (origin && origin !== 'null' && !allowedOrigins.includes(origin)) return true;
  return false;
}

/** The origins a form on our own pages posts from: PUBLIC_URL's and the one the request came in on. */
export function ownOrigins(publicUrl: string, requestUrl: string): string[] {
  const origins = new Set<string>();
  for (const u of [publicUrl, requestUrl]) {
    try {
      origins.add(new URL(u).origin);
    } catch {
      // an unparsable URL adds nothing
    }
  }
  return [...origins];
}
