import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specModule, startTestGateway, userToken, type TestGateway } from '../helpers/gateway.js';

const op = (id: string) => ({ operationId: id, responses: { 200: { description: 'ok' } } });
const echoSpec = {
  swagger: '2.0',
  info: { title: 'echo', version: '1' },
  host: 'elsewhere.example.com',
  basePath: '/base',
  paths: {
    '/things': { get: op('listThings'), post: op('createThing') },
    '/things/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, type: 'string' }],
      get: op('getThing'),
      put: op('putThing'),
      patch: op('patchThing'),
      delete: op('deleteThing'),
      head: op('headThing'),
      options: op('optionsThing'),
    },
    '/slow': { get: op('slow') },
    '/upload': { post: op('upload') },
  },
};

describe('REST pass-through', () => {
  let gw: TestGateway;
  let echo: Awaited<ReturnType<typeof specModule>>;

  beforeAll(async () => {
    echo = await specModule(echoSpec, (req, res, body) => {
      if (req.url?.startsWith('/base/slow')) {
        setTimeout(() => res.writeHead(200).end('late'), 3000);
        return;
      }
      const status = req.method === 'POST' ? 201 : req.method === 'DELETE' ? 204 : 200;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-module-header': 'kept',
        'set-cookie': 'a=1',
      };
      if (req.method === 'POST') headers['location'] = '/base/things/42';
      if (status === 204 || req.method === 'HEAD') {
        res.writeHead(status, headers).end();
        return;
      }
      res.writeHead(status, headers);
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          auth: req.headers['authorization'] ?? null,
          requestId: req.headers['x-request-id'] ?? null,
          contentType: req.headers['content-type'] ?? null,
          body: body.toString('base64'),
        }),
      );
    });
    gw = await startTestGateway({ UPSTREAM_TIMEOUT_MS: '500' });
    const r = await gw.admin('POST', '/modules', { name: 'echo', endpoint: echo.url });
    expect(r.body.status).toBe('ok');
  });
  afterAll(async () => {
    await gw?.close();
    await echo?.close();
  });

  it.each(['GET', 'PUT', 'PATCH', 'OPTIONS'])(
    '%s keeps status, headers, query and body',
    async (method) => {
      const token = userToken();
      const hasBody = method === 'PUT' || method === 'PATCH';
      const res = await gw.call('/echo/things/7?x=1&y=two', {
        method,
        token,
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-123' },
        ...(hasBody ? { body: JSON.stringify({ a: 1 }) } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-module-header')).toBe('kept');
      expect(res.headers.get('set-cookie')).toBe('a=1');
      expect(res.headers.get('x-request-id')).toBe('req-123');
      const body = (await res.json()) as any;
      expect(body.method).toBe(method);
      expect(body.url).toBe('/base/things/7?x=1&y=two');
      expect(body.auth).toBe(`Bearer ${token}`);
      expect(body.requestId).toBe('req-123');
      if (hasBody) expect(Buffer.from(body.body, 'base64').toString()).toBe('{"a":1}');
    },
  );

  it('POST answers 201 with Location intact; DELETE 204; HEAD has no body', async () => {
    const post = await gw.call('/echo/things', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    expect(post.status).toBe(201);
    expect(post.headers.get('location')).toBe('/base/things/42');
    const del = await gw.call('/echo/things/1', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    const head = await gw.call('/echo/things/1', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-module-header')).toBe('kept');
  });

  it('streams form, multipart and binary bodies byte for byte', async () => {
    const form = new URLSearchParams({ a: '1', b: 'two words' });
    const r1 = await gw.call('/echo/upload', { method: 'POST', body: form });
    const b1 = (await r1.json()) as any;
    expect(b1.contentType).toMatch(/x-www-form-urlencoded/);
    expect(Buffer.from(b1.body, 'base64').toString()).toBe(form.toString());

    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array([0, 1, 2, 255])]), 'x.bin');
    const r2 = await gw.call('/echo/upload', { method: 'POST', body: fd });
    const b2 = (await r2.json()) as any;
    expect(b2.contentType).toMatch(/multipart\/form-data; boundary=/);
    expect(Buffer.from(b2.body, 'base64').includes(Buffer.from([0, 1, 2, 255]))).toBe(true);

    const bin = Buffer.alloc(256 * 1024, 7);
    const r3 = await gw.call('/echo/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bin,
    });
    const b3 = (await r3.json()) as any;
    expect(Buffer.from(b3.body, 'base64').equals(bin)).toBe(true);
  });

  it('accepts the spec path with or without the base path', async () => {
    const a = (await (await gw.call('/echo/things/3')).json()) as any;
    const b = (await (await gw.call('/echo/base/things/3')).json()) as any;
    expect(a.url).toBe('/base/things/3');
    expect(b.url).toBe('/base/things/3');
  });

  it('answers 404 with a code for an unknown module and for a path not in the spec', async () => {
    const unknown = await gw.call('/nope/things');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe('MODULE_NOT_FOUND');
    const unlisted = await gw.call('/echo/secret/admin', { method: 'GET' });
    expect(unlisted.status).toBe(404);
    const body = (await unlisted.json()) as any;
    expect(body.error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(body.error.message).toBe('Endpoint not found: GET /echo/secret/admin');
    const wrongVerb = await gw.call('/echo/slow', { method: 'DELETE' });
    expect(wrongVerb.status).toBe(404);
  });

  it('answers 504 UPSTREAM_TIMEOUT for a slow module and keeps serving', async () => {
    const res = await gw.call('/echo/slow');
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.code).toBe('UPSTREAM_TIMEOUT');
    expect((await gw.call('/echo/things/1')).status).toBe(200);
  });

  it('answers 502 MODULE_UNREACHABLE when the module is down', async () => {
    const dead = await specModule(echoSpec, (_req, res) => res.end('{}'));
    await gw.admin('POST', '/modules', { name: 'dead', endpoint: dead.url });
    await dead.close();
    const res = await gw.call('/dead/things/1');
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe('MODULE_UNREACHABLE');
  });
});
