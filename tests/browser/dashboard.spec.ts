import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN, runReleaseStudy, type ReleaseStudy } from '../e2e/support/release-study';

jest.setTimeout(180_000);

/** Screenshots are kept as test artefacts (gitignored). */
const ARTIFACTS = path.join(__dirname, '../../test-artifacts/browser');
let study: ReleaseStudy;
let browser: Browser;
let page: Page;
/** Uncaught errors in the page; none is expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Three sites, three rounds; the scores separate better each round (AUC ≈ 0.8 → 0.9). Whether the
  // verdict passes or not, the UI must release (a failing one through the override prompt).
  study = await runReleaseStudy({
    name: 'Dashboard demo study',
    rounds: 3,
    sites: [
      { name: 'Hospital A', nTrain: 120, nTest: 80, separation: (r) => 0.5 + 0.2 * r },
      { name: 'Hospital B', nTrain: 90, nTest: 60, separation: (r) => 0.45 + 0.15 * r },
      { name: 'Hospital C', nTrain: 60, nTest: 50, separation: (r) => 0.4 + 0.2 * r },
    ],
    policy: { min_site_auc: 0.7, min_pooled_auc: 0.7, dca_range: [0.2, 0.5], min_sites_passing: 'all' },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
afterAll(async () => {
  await browser?.close();
  await study?.stop();
});

describe('lead dashboard (Chromium against a coordinator with a finished study)', () => {
  it('refuses a wrong admin token', async () => {
    await page.goto(study.coordinator.baseUrl + '/');
    await page.fill('#token', 'wrong-token');
    await page.click('#login-form button');
    await page.waitForSelector('#login-error:not(:empty)');
    expect(await page.locator('#login-error').textContent()).toContain('refused');
  });

  it('shows the rounds, the AUC chart, the decision curves and the verdict', async () => {
    await page.fill('#token', ADMIN);
    await page.click('#login-form button');
    await page
      .waitForSelector('#rounds tbody tr[data-round="3"]', { timeout: 15_000 })
      .catch(async (e: Error) => {
        await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true });
        throw new Error(`${e.message}\npage errors: ${pageErrors.join('\n')}`);
      });
    expect(await page.locator('#rounds tbody tr').count()).toBe(3);
    expect(await page.locator('#rounds tbody .state.completed').count()).toBe(3);
    // uPlot draws into a canvas and lists its series in the legend.
    await page.waitForSelector('#auc-chart canvas');
    await page.waitForSelector('#dca-chart canvas');
    const aucLegend = await page.locator('#auc-chart .u-legend').textContent();
    for (const site of ['Hospital A', 'Hospital B', 'Hospital C', 'Pooled'])
      expect(aucLegend).toContain(site);
    const dcaLegend = await page.locator('#dca-chart .u-legend').innerText();
    for (const curve of ['Pooled model', 'Treat all', 'Treat none', 'Hospital C'])
      expect(dcaLegend).toContain(curve);
    // The verdict shown is the one the API recorded for the last round.
    const api = await study.api('GET', `/api/studies/${study.studyId}/rounds/3/metrics`);
    expect(await page.locator('#verdict-result').textContent()).toBe(api.json.verdict.pass ? 'PASS' : 'FAIL');
    expect(await page.locator('#live').textContent()).toBe('live');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-study.png'), fullPage: true });
  });

  it('releases the last round from the UI', async () => {
    expect(await page.locator('#release-button').textContent()).toBe('Release round 3');
    page.once('dialog', (d) => void d.accept('Overridden from the browser test: a reason of enough length'));
    await page.click('#release-button');
    await page.waitForSelector('#release-table tbody tr');
    expect(await page.locator('#release-table tbody tr td').first().textContent()).toBe('v1');
    await expect(page.isVisible('#login')).resolves.toBe(false);
    const releases = await study.api('GET', '/api/releases');
    expect(releases.json).toHaveLength(1);
    expect(releases.json[0]).toMatchObject({ version: 1, round: 3, study_id: study.studyId });
    expect(await page.locator('#release-button').textContent()).toBe('Round 3 released');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-released.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
