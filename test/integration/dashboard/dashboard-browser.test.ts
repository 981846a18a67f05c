/**
 * The dashboard in a real browser: Debian chromium driven by playwright-core (no browser download)
 * against a controller on the simulated demo lab. An operator signs in, a crash is injected, the
 * incident appears, climbs a rung and resolves with no reload; the operator puts a host in
 * maintenance through the confirmation dialog; a viewer sees every action disabled and the API
 * refuses the same call with 403. RRC_SCREENSHOT=1 writes docs/dashboard.png.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { issueToken } from '../../../src/api/auth/tokens.js';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { startService, type RunningService } from '../../../src/service/index.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Generous: a loaded 2-core machine. The recovery itself takes about 30 s of wall time. */
const LONG = 120_000;
const SHORT = 30_000;

const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian chromium (bash scripts/setup.sh)`;

describe('dashboard in headless chromium', { skip: missing, timeout: 6 * 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), '3rc-dashboard-'));
  let service: RunningService;
  let context: BrowserContext;
  let page: Page;
  let operatorToken = '';
  let viewerToken = '';
  let navigations = 0;
  let loadedAt = '';

  before(async () => {
    const config = defaultDemoConfig();
    config.store.url = 'memory:';
    config.demo = null; // the test injects its own crash, at a known time
    config.api.tokenFile = join(dir, 'admin-token');
    // Fast probes, and a service restart given too little time so the incident climbs to a reboot.
    config.probes.intervalSeconds = 0.5;
    config.probes.timeoutSeconds = 0.4;
    config.policy.rungs['service-restart'].timeoutSeconds = 2;
    service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger: pino({ level: 'silent' }) });
    const now = Date.now();
    operatorToken = (await issueToken(service.store, { name: 'olga', role: 'operator', createdBy: 'test', now })).token;
    viewerToken = (await issueToken(service.store, { name: 'victor', role: 'viewer', createdBy: 'test', now })).token;
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 1000 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(SHORT);
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (token: string, role: string): Promise<void> => {
    await page.locator('#token-input').fill(token);
    await page.locator('#login-submit').click();
    await page.locator(`#role[data-role="${role}"]`).waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
  };

  test('an operator watches a crash appear, climb and resolve without a reload', async () => {
    await page.goto(service.url);
    await page.locator('#login').waitFor();
    await signIn(operatorToken, 'operator');
    loadedAt = (await page.locator('html').getAttribute('data-loaded-at')) ?? '';
    assert.ok(loadedAt);
    await page.locator('#hosts tr[data-target="host:hv1"][data-phase="healthy"]').waitFor();
    await page.locator('#no-incidents').waitFor();

    applyFaultLine(service.world!, 'vm web1 service-dead');
    const card = page.locator('article.incident[data-incident="vm:web1#1"]');
    await card.waitFor({ timeout: LONG });
    // The service restart runs out of time and the ladder climbs to the reboot.
    await card.locator('.rung[data-rung="1"]').waitFor({ timeout: LONG });
    await card.locator('summary').click();
    await card.locator('details[open] tr[data-kind="action"]').first().waitFor();
    const next = await card.locator('.next-line').innerText();
    assert.match(next, /Next:/);
    assert.match(await card.innerText(), /In this rung/);

    await page.locator('#recent tr[data-incident="vm:web1#1"]').waitFor({ timeout: LONG });
    await card.waitFor({ state: 'detached', timeout: LONG });
    await page.locator('#vms tr[data-target="vm:web1"][data-phase="healthy"]').waitFor({ timeout: LONG });
    await page.locator('#plot svg rect[data-incident="vm:web1#1"]').waitFor();
    assert.match(await page.locator('#live').innerText(), /vm:web1/);
    assert.equal((await service.store.getIncident('vm:web1#1'))?.state, 'resolved');

    assert.equal(navigations, 1, 'the page never navigated after the first load');
    assert.equal(await page.locator('html').getAttribute('data-loaded-at'), loadedAt, 'the page was not reloaded');
    assert.ok(Number(await page.locator('html').getAttribute('data-refreshes')) > 3, 'the snapshot was refetched on change signals');

    // The picture for the docs: a second incident open beside the first one's recovery time.
    applyFaultLine(service.world!, 'vm cache1 hang');
    await page.locator('article.incident[data-incident="vm:cache1#1"] .rung[data-rung="2"]').waitFor({ timeout: LONG });
    await page.locator('article.incident[data-incident="vm:cache1#1"] summary').click();
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.RRC_SCREENSHOT === '1') copyFileSync(shot, new URL('../../../docs/dashboard.png', import.meta.url));
  });

  test('the operator puts a host in maintenance through the confirmation dialog', async () => {
    const row = page.locator('#hosts tr[data-target="host:hv4"]');
    await row.locator('button[data-action="maintenance-on"]').click();
    const dialog = page.locator('dialog#confirm[open]');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Put host:hv4 in maintenance\?/);
    await dialog.locator('#confirm-ok').click();
    await dialog.waitFor({ state: 'detached' }).catch(() => undefined);
    await page.locator('#hosts tr[data-target="host:hv4"][data-phase="maintenance"]').waitFor({ timeout: LONG });
    assert.equal(service.controller.targetStatus('host:hv4')?.phase, 'maintenance');
    const audit = await service.store.listAudit({ actor: 'olga' });
    assert.ok(audit.some((a) => a.action === 'POST /targets/:target/maintenance' && a.target === 'host:hv4' && a.outcome === 'ok'), JSON.stringify(audit));
    assert.ok(audit.some((a) => a.action === 'maintenance.on'), JSON.stringify(audit));

    // Cancel does nothing.
    await page.locator('#hosts tr[data-target="host:hv4"] button[data-action="maintenance-off"]').click();
    await page.locator('dialog#confirm[open]').waitFor();
    await page.locator('#confirm-cancel').click();
    assert.equal(service.controller.targetStatus('host:hv4')?.phase, 'maintenance');
    assert.equal(navigations, 1);
  });

  test('a viewer sees every action disabled, and the API refuses it with 403', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#login').waitFor();
    await signIn(viewerToken, 'viewer');
    const buttons = page.locator('#app button[data-action]');
    assert.ok((await buttons.count()) > 10);
    // Reading is allowed: the recovery of the first test is there.
    await page.locator('#recent tr[data-incident="vm:web1#1"]').waitFor();
    assert.equal(await page.locator('#app button[data-action]:enabled').count(), 0, 'no action button is enabled for a viewer');

    const status = await page.evaluate(async (token) => {
      const res = await fetch('/targets/host%3Ahv3/maintenance', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ on: true }) });
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, viewerToken);
    assert.equal(status.status, 403);
    assert.equal(status.body.error, 'RRC_ERR_FORBIDDEN');
    assert.equal(service.controller.targetStatus('host:hv3')?.phase, 'healthy');
    assert.equal(navigations, 1);
  });
});
