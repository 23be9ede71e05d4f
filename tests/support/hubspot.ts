// A HubSpot webhook request as HubSpot sends one: the JSON batch, signed with v3 (HMAC-SHA256 of
// method, the public URL, body and timestamp, with the app secret), posted to a running server.
import { createHmac } from 'node:crypto';

export function postHubspot(server: { url: string; publicUrl: string }, secret: string, events: object[], timestamp: number): Promise<Response> {
  const body = JSON.stringify(events);
  const signature = createHmac('sha256', secret).update(`POST${server.publicUrl}/webhooks/hubspot${body}${timestamp}`).digest('base64');
  return fetch(`${server.url}/webhooks/hubspot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) },
    body,
  });
}
