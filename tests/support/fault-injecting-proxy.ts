import { Agent, createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 in front of the local S3 endpoint that fails a share of object reads and
 * writes the way S3 does under load: `503 SlowDown`, or the connection reset before any answer. The
 * deployed function is pointed at it (AWS_ENDPOINT_URL_S3), so the faults come from outside the code
 * under test, through the real SDK and its retries.
 */
export interface FaultCounts {
  /** Object GETs and PUTs seen (path-style `/<bucket>/<key>`), faulted or not. */
  objectRequests: number;
  slowDown: number;
  reset: number;
  /** Requests passed on to the endpoint, object requests and others (listings, HEADs). */
  forwarded: number;
}

export interface FaultInjectingProxy {
  readonly url: string;
  readonly counts: Readonly<FaultCounts>;
  close(): Promise<void>;
}

const SLOW_DOWN_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
  '<Message>Please reduce your request rate.</Message></Error>';

/** A path-style object request: a bucket and a key, not a bucket listing or configuration call. */
function isObjectReadOrWrite(request: IncomingMessage): boolean {
  if (request.method !== 'GET' && request.method !== 'PUT') return false;
  const path = new URL(request.url ?? '/', 'http://proxy').pathname;
  return /^\/[^/]+\/.+/.test(path);
}

/**
 * `faultRate` of object GETs and PUTs fail, half with 503 SlowDown, half with a reset. `random` is
 * injectable so that a run can be repeated.
 */
export async function startFaultInjectingProxy({
  target,
  faultRate,
  random = Math.random,
}: {
  target: string;
  faultRate: number;
  random?: () => number;
}): Promise<FaultInjectingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts: FaultCounts = { objectRequests: 0, slowDown: 0, reset: 0, forwarded: 0 };
  const sockets = new Set<Socket>();

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (isObjectReadOrWrite(request)) {
      counts.objectRequests++;
      const draw = random();
      if (draw < faultRate / 2) {
        counts.slowDown++;
        request.resume(); // read the body a PUT sends before answering, as S3 does
        request.on('end', () => {
          response.writeHead(503, { 'content-type': 'application/xml', 'content-length': SLOW_DOWN_BODY.length });
          response.end(SLOW_DOWN_BODY);
        });
        return;
      }
      if (draw < faultRate) {
        counts.reset++;
        request.socket.resetAndDestroy();
        return;
      }
    }
    counts.forwarded++;
    const outgoing = forward(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        // Unchanged, the Host header included: the signature covers it.
        headers: request.headers,
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => request.socket.destroy());
    request.pipe(outgoing);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    async close() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
