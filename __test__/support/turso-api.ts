// A Turso Platform API on 127.0.0.1 for the provisioning tests: the endpoints the client
// calls, answering with the real API's reply shapes (`{ database: { DbId, Hostname, Name } }`,
// `{ databases: [...] }`, `{ jwt }`, `{ error }` with 401/404/409), keeping databases in
// memory, recording every request as it arrived (raw path included), and told to fail:
// `fail(fault, match?)` queues a fault for the next matching request.

import * as http from 'http';
import type { AddressInfo } from 'net';

export interface SeenRequest {
  method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the server does instead of serving a request. */
export type Fault =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Accepts the request and never answers. */
  | 'hang'
  /** 200 with an HTML page. */
  | 'not-json'
  /** 200 with this JSON, whatever the endpoint. */
  | { json: unknown };

export interface StoredDatabase {
  DbId: string;
  Name: string;
  Hostname: string;
  group: string;
  is_schema: boolean;
  schema?: string;
  regions: string[];
  primaryRegion: string;
  type: string;
  version: string;
  sleeping: boolean;
  archived: boolean;
  allow_attach: boolean;
  block_reads: boolean;
  block_writes: boolean;
}

export interface TursoApiServer {
  baseUrl: string;
  port: number;
  org: string;
  token: string;
  requests: SeenRequest[];
  databases: Map<string, StoredDatabase>;
  /** Queues `fault` for the next request `match` accepts (any request by default). */
  fail(fault: Fault, match?: (req: SeenRequest) => boolean): void;
  /** Milliseconds each create waits before answering (widens race windows). */
  createDelayMs: number;
  close(): Promise<void>;
}

export interface TursoApiOptions {
  org?: string;
  token?: string;
}

export async function startTursoApi(options: TursoApiOptions = {}): Promise<TursoApiServer> {
  const org = options.org ?? 'test-org';
  const token = options.token ?? 'test-token';
  const requests: SeenRequest[] = [];
  const databases = new Map<string, StoredDatabase>();
  const faults: Array<{ fault: Fault; match: (req: SeenRequest) => boolean }> = [];
  const hanging = new Set<http.ServerResponse>();
  let ids = 0;

  const state = { createDelayMs: 0 };

  const send = (
    res: http.ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  const route = async (req: SeenRequest, res: http.ServerResponse) => {
    const at = faults.findIndex((f) => f.match(req));
    if (at !== -1) {
      const [{ fault }] = faults.splice(at, 1);
      if (fault === 'hang') {
        hanging.add(res);
        return;
      }
      if (fault === 'not-json') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Welcome to nginx</body></html>');
        return;
      }
      if ('json' in fault) return send(res, 200, fault.json);
      return send(res, fault.status, fault.body, fault.headers);
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, { error: 'token is invalid or expired' });
    }
    const [pathname, query = ''] = req.url.split('?');
    const params = new URLSearchParams(query);
    const parts = pathname.split('/').slice(1).map(decodeURIComponent);
    // v1 / organizations / {org} / ...rest
    if (parts[0] !== 'v1' || parts[1] !== 'organizations')
      return send(res, 404, { error: 'route not found' });
    if (parts[2] !== org) return send(res, 403, { error: `no access to organization ${parts[2]}` });
    const rest = parts.slice(3);
    const dbNotFound = (name: string) =>
      send(res, 404, { error: `could not find database with name ${name}` });

    if (rest[0] === 'databases' && rest.length === 1) {
      if (req.method === 'GET') {
        const group = params.get('group');
        const schema = params.get('schema');
        const listed = [...databases.values()].filter(
          (db) => (group === null || db.group === group) && (schema === null || db.schema === schema),
        );
        return send(res, 200, { databases: listed });
      }
      if (req.method === 'POST') {
        const body = JSON.parse(req.body || '{}') as {
          name: string;
          group?: string;
          schema?: string;
          is_schema?: boolean;
        };
        if (state.createDelayMs > 0) await new Promise((r) => setTimeout(r, state.createDelayMs));
        if (databases.has(body.name)) {
          return send(res, 409, { error: `database with name ${body.name} already exists` });
        }
        const db: StoredDatabase = {
          DbId: `db-${++ids}`,
          Name: body.name,
          Hostname: `${body.name}-${org}.turso.io`,
          group: body.group ?? 'default',
          is_schema: body.is_schema ?? false,
          schema: body.schema,
          regions: ['ams'],
          primaryRegion: 'ams',
          type: 'logical',
          version: '0.24.32',
          sleeping: false,
          archived: false,
          allow_attach: false,
          block_reads: false,
          block_writes: false,
        };
        databases.set(body.name, db);
        return send(res, 200, { database: { DbId: db.DbId, Hostname: db.Hostname, Name: db.Name } });
      }
    }
    if (rest[0] === 'databases' && rest.length >= 2) {
      const db = databases.get(rest[1]);
      if (!db) return dbNotFound(rest[1]);
      if (rest.length === 2 && req.method === 'GET') return send(res, 200, { database: db });
      if (rest.length === 2 && req.method === 'DELETE') {
        databases.delete(rest[1]);
        return send(res, 200, { database: rest[1] });
      }
      if (rest[2] === 'auth' && rest[3] === 'tokens' && req.method === 'POST') {
        const scope = params.get('authorization') ?? 'full-access';
        return send(res, 200, { jwt: `jwt.${db.Name}.${scope}.${params.get('expiration') ?? 'never'}` });
      }
      if (rest[2] === 'auth' && rest[3] === 'rotate' && req.method === 'POST') return send(res, 200);
    }
    if (rest[0] === 'groups' && rest.length === 4 && rest[2] === 'auth' && req.method === 'POST') {
      if (rest[3] === 'tokens') {
        return send(res, 200, {
          jwt: `jwt.group.${rest[1]}.${params.get('authorization') ?? 'full-access'}`,
        });
      }
      if (rest[3] === 'rotate') return send(res, 200);
    }
    return send(res, 404, { error: 'route not found' });
  };

  const server = http.createServer((incoming, res) => {
    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      const seen: SeenRequest = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body,
      };
      requests.push(seen);
      route(seen, res).catch((err) => send(res, 500, { error: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    org,
    token,
    requests,
    databases,
    get createDelayMs() {
      return state.createDelayMs;
    },
    set createDelayMs(ms: number) {
      state.createDelayMs = ms;
    },
    fail(fault, match = () => true) {
      faults.push({ fault, match });
    },
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (opened, then closed). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
