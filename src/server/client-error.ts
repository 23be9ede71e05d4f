// Requests Node's HTTP parser refuses before any route sees them: a URL or headers over Node's
// 16 KB limit (a link pasted twice into one address, a huge cookie), a Content-Length that is not
// a number, bytes that are not HTTP. Node's own answer is a bare status line (431 or 400) with no
// body, which tells a CRM admin or a person nothing; this one says what was wrong, in the JSON the
// webhook senders read, and closes the connection as Node does (the rest of the request is unread).
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const answers: Record<string, { status: number; text: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431, text: 'Request Header Fields Too Large',
    message: 'the request line and headers are larger than 16 KB: the address (URL) or a header is too long; check the link was copied once and whole',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, text: 'Payload Too Large', message: 'chunk extensions of the body are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, text: 'Request Timeout', message: 'the request was not received in time' },
};

function answerFor(code: string | undefined, reason: string | undefined) {
  // Own entries only: the code comes from the parser, but a Record lookup of an arbitrary string
  // must not find Object.prototype's names.
  if (code && Object.hasOwn(answers, code)) return answers[code];
  const detail = reason ? ` (${reason})` : '';
  return { status: 400, text: 'Bad Request', message: `the request is not valid HTTP${detail}: nothing was read or stored` };
}

/** Answers parser-refused requests with a status and a JSON reason instead of Node's empty reply. */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // A reset connection has no one to answer; a response already under way cannot get another.
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, text, message } = answerFor(err.code, err.reason);
    const error = status === 431 ? 'request_too_large' : status === 413 ? 'payload_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
    const body = JSON.stringify({ error, message });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
