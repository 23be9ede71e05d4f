// A stand-in for HubSpot's CRM API over real HTTP, answering the documented v3 shapes: objects
// (`GET /crm/v3/objects/{type}/{id}?properties=`) and owners (`GET /crm/v3/owners/{id}`), with
// Bearer-token auth and HubSpot's error bodies. It records every request so tests can see what
// salesflow asked for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubSpotStandIn {
  url: string;
  token: string;
  /** Records by type (`deals`, `contacts`) and id: their properties, all strings as HubSpot returns them. */
  objects: Map<string, Record<string, string | null>>;
  owners: Map<string, { email: string; firstName: string; lastName: string }>;
  requests: string[];
  /** Answer the next request with this status (HubSpot's error body), as an outage would; then as usual. */
  failNext: number | null;
  close(): Promise<void>;
}

export async function startHubSpotStandIn(token = 'pat-na1-test-token'): Promise<HubSpotStandIn> {
  const objects = new Map<string, Record<string, string | null>>();
  const owners = new Map<string, { email: string; firstName: string; lastName: string }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (standIn.failNext !== null) {
      const status = standIn.failNext;
      standIn.failNext = null;
      return send(status, { status: 'error', message: 'internal error', correlationId: 'c-0', category: 'INTERNAL_ERROR' });
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(401, { status: 'error', message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.', correlationId: 'c-1', category: 'INVALID_AUTHENTICATION' });
    }
    const url = new URL(req.url ?? '/', 'http://standin');
    const object = /^\/crm\/v3\/objects\/([a-z]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && object) {
      const record = objects.get(`${object[1]}/${object[2]}`);
      if (!record) return send(404, { status: 'error', message: 'Object not found.  objectId are usually numeric.', correlationId: 'c-2', category: 'OBJECT_NOT_FOUND' });
      const wanted = (url.searchParams.get('properties') ?? '').split(',').filter(Boolean);
      const properties: Record<string, string | null> = { hs_object_id: object[2], createdate: '2026-02-01T09:00:00.000Z', hs_lastmodifieddate: '2026-03-01T09:00:00.000Z' };
      for (const name of wanted) if (name in record) properties[name] = record[name];
      return send(200, { id: object[2], properties, createdAt: '2026-02-01T09:00:00.000Z', updatedAt: '2026-03-01T09:00:00.000Z', archived: false });
    }
    const owner = /^\/crm\/v3\/owners\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && owner) {
      const found = owners.get(owner[1]);
      if (!found) return send(404, { status: 'error', message: `No owner found with id ${owner[1]}`, correlationId: 'c-3', category: 'OBJECT_NOT_FOUND' });
      return send(200, { id: owner[1], ...found, userId: 9000 + Number(owner[1].slice(-2)), createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z', archived: false });
    }
    send(404, { status: 'error', message: 'Not found', category: 'OBJECT_NOT_FOUND' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn: HubSpotStandIn = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    objects,
    owners,
    requests,
    failNext: null,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return standIn;
}
