/**
 * GraphiQL in a real browser: Debian's Chromium driven by playwright-core opens the gateway's
 * `/graphiql`, a user types a token and a query across two example modules, runs it and sees the
 * answer. Nothing may be loaded from outside the machine (the IDE is served offline).
 *
 * Chromium is required: a missing `/usr/bin/chromium` fails the test (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeExampleData } from '../../examples/data.js';
import { startExampleModules } from '../../examples/modules.js';
import type { ExampleModule, ExampleModuleKind } from '../../examples/modules.js';
import { EXAMPLE_JOINS } from '../../examples/joins.js';
import { adminToken, startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

// Selectors of graphiql 3.x (see /work/shared/NOTES.md, "GraphiQL, served offline").
const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const RUN_BUTTON = '.graphiql-execute-button';
const RESULT_PANE = '.result-window';

const data = makeExampleData();
let examples: Record<ExampleModuleKind, ExampleModule> | undefined;
let gateway: TestGateway | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is required for the GraphiQL browser test and is missing at ${CHROMIUM_PATH}: ` +
        'apt-get install -y chromium (.ci/run does it)',
    );
  }
  // The example modules on port 0 (startGateway with EXAMPLES=true would bind 4101-4104),
  // registered through the admin API like any logic module.
  examples = await startExampleModules({ host: '127.0.0.1', data });
  gateway = await startTestGateway();
  for (const module of Object.values(examples)) {
    const registered = await gateway.admin('POST', '/modules', {
      name: module.name,
      endpoint: module.url,
      docsPath: '/docs',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  }
  // The example joins, defined through the admin API as an operator would.
  for (const join of EXAMPLE_JOINS) {
    const defined = await gateway.admin('POST', '/joins', join);
    expect(defined.status, JSON.stringify(defined.body)).toBe(201);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  if (examples) await Promise.all(Object.values(examples).map((m) => m.close()));
});

/** Replaces the whole text of a CodeMirror editor (the editors auto-close brackets when typed). */
async function replaceEditorText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** The query to run: the joined one when the data mesh already adds `customer` to orders. */
async function chooseQuery(): Promise<{ query: string; expectedNames: string[]; joined: boolean }> {
  const schema = await gateway!.call('/admin/schema');
  expect(schema.status).toBe(200);
  const sdl = await schema.text();
  const orderType = /\btype Orders_Order\b[^{]*\{([^}]*)\}/.exec(sdl)?.[1];
  expect(orderType, 'Orders_Order is in the unified schema').toBeDefined();
  const customerName = (id: number) => {
    const customer = data.customers.find((c) => c.id === id);
    if (!customer) throw new Error(`example data has no customer ${id}`);
    return customer.name;
  };
  expect(orderType, 'the example join adds `customer` to Orders_Order').toMatch(
    /^\s*customer\s*[(:]/m,
  );
  return {
    query: '{ orders_listOrders(limit: 2) { id customer { name } } }',
    expectedNames: data.orders.slice(0, 2).map((o) => customerName(o.customerId)),
    joined: true,
  };
}

describe('GraphiQL in Chromium', () => {
  it('runs the joined example query with a typed token, loading nothing from outside', async () => {
    const origin = `http://127.0.0.1:${gateway!.port}`;
    const { query, expectedNames, joined } = await chooseQuery();
    const context = await browser!.newContext();
    const page = await context.newPage();
    const requested: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));

    try {
      const response = await page.goto(`${origin}/graphiql`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      await page.locator(QUERY_EDITOR).first().waitFor({ state: 'visible', timeout: 15_000 });

      // No token is prefilled outside development mode: type it into the headers editor.
      await page.getByRole('button', { name: 'Headers' }).click();
      await page.locator(HEADERS_EDITOR).first().waitFor({ state: 'visible' });
      await replaceEditorText(
        page,
        HEADERS_EDITOR,
        JSON.stringify({ Authorization: `Bearer ${adminToken()}` }),
      );

      await replaceEditorText(page, QUERY_EDITOR, query);
      const answered = page.waitForResponse(
        (r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST',
      );
      await page.locator(RUN_BUTTON).click();
      expect((await answered).status()).toBe(200);

      const result = page.locator(RESULT_PANE);
      await expect
        .poll(async () => (await result.textContent()) ?? '', { timeout: 15_000 })
        .toContain('"data"');
      const shown = (await result.textContent()) ?? '';
      for (const name of expectedNames) expect(shown).toContain(name);
      for (const order of data.orders.slice(0, 2)) expect(shown).toContain(`"id": ${order.id}`);
      if (!joined) expect(shown).toContain(`"customerId": ${data.orders[0]!.customerId}`);
      expect(shown).not.toContain('"errors"');

      expect(pageErrors).toEqual([]);
      // Every request (page, assets, the query) went to the gateway itself.
      expect(requested.length).toBeGreaterThan(4);
      const offsite = requested.filter((url) => !url.startsWith(`${origin}/`) && url !== 'data:,');
      expect(offsite).toEqual([]);
    } catch (error) {
      const shot = join(tmpdir(), `bifrost-graphiql-failure-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      if (error instanceof Error) {
        error.message += `\n  screenshot: ${shot}\n  page errors: ${JSON.stringify(pageErrors)}`;
      }
      throw error;
    } finally {
      await context.close();
    }
  });
});
