// The reason /readyz gives for a failed check is read by whoever watches the load balancer: one
// short line, with any password a driver quoted in its error replaced, and a gRPC deadline said
// as the timeout it is.
import { describe, expect, it } from 'vitest';
import { shortReason } from '../../src/server/readiness.js';

describe('shortReason', () => {
  it('hides the password of a connection string quoted in an error, and a password= setting', () => {
    const err = new Error('could not connect to postgres://app:hunter2@db.internal:5432/sales (password=hunter2 sslmode=require)');
    const reason = shortReason(err, 2000);
    expect(reason).not.toContain('hunter2');
    expect(reason).toBe('could not connect to postgres://app:***@db.internal:5432/sales (password=*** sslmode=require)');
  });

  it('keeps the first line only, and the quoted message of a Temporal native error', () => {
    expect(shortReason(new Error('connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect'), 2000)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(shortReason(new Error('TransportError { message: "tcp connect error: Connection refused", source: ... }'), 2000)).toBe('tcp connect error: Connection refused');
  });

  it('says a gRPC DEADLINE_EXCEEDED as the timeout, and cuts a long message', () => {
    expect(shortReason(Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 2.001s'), { code: 4 }), 2000)).toBe('no answer within 2 s');
    const long = shortReason(new Error('x'.repeat(500)), 2000);
    expect(long.length).toBe(200);
    expect(long.endsWith('…')).toBe(true);
  });
});
