// The UI end to end, in headless Chromium: log in, upload, see a refusal and its drift,
// override it with a reason, see the history, roll back through the confirmation (cancel
// first), see another process's upload appear live, download a table and compare its bytes.
// Screenshots of every page go to $E2E_SCREENSHOTS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/e2e/run.sh`);
  return value;
};
const url = env('STRATA_URL');
const data = env('E2E_DATA');
const shots = env('E2E_SCREENSHOTS');
mkdirSync(shots, { recursive: true });

// No name resolves but the loopback's: the UI must work offline, and the browser's own
// services must not reach out while the test runs.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];

/** Every request a page makes to anywhere but the server; each is aborted. */
const foreignRequests = [];

async function launch(profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
  });
  const origin = new URL(url).origin;
  await context.route('**/*', (route) => {
    const target = route.request().url();
    if (new URL(target).origin === origin || target.startsWith('data:') || target.startsWith('blob:')) {
      return route.continue();
    }
    foreignRequests.push(target);
    return route.abort();
  });
  return context;
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function logIn(page, user, password) {
  await page.goto(url);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
}

/** Fills the upload form and asks for the preview. */
async function preview(page, { name, file, overwrite }) {
  await page.goto(`${url}/#/upload`);
  await page.getByLabel('Dataset name').fill(name);
  await page.getByLabel('CSV files').setInputFiles(join(data, file));
  const box = page.getByLabel('Overwrite existing dataset');
  if (overwrite) await box.check(); else await box.uncheck();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#plan').waitFor();
}

test('a data manager uploads, is refused, overrides, rolls back, sees others live, downloads', async (t) => {
  const context = await launch(env('E2E_PROFILE'));
  const page = context.pages()[0] || await context.newPage();
  const failures = [];
  page.on('pageerror', (e) => failures.push(e.message));
  // A refused request (the wrong password's 401, the session check before logging in) is
  // logged by the browser itself; anything else logged as an error is a failure.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) failures.push(m.text());
  });
  try {
    await t.test('the login page refuses a wrong password, then logs in', async () => {
      await page.goto(url);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await shot(page, 'login');
      await page.getByLabel('User name').fill(env('E2E_USER'));
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('wrong user name or password').waitFor();
      await logIn(page, env('E2E_USER'), env('E2E_PASSWORD'));
      assert.equal(await page.locator('#who-name').textContent(), env('E2E_USER'));
    });

    await t.test('penguins-raw.csv becomes a new dataset after a preview', async () => {
      await preview(page, { name: 'penguins', file: 'penguins-raw.csv', overwrite: false });
      assert.match(await page.locator('#plan').textContent(), /A new dataset penguins, version 1/);
      await shot(page, 'upload-preview');
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.locator('#upload-result').getByText('penguins version 1 created').waitFor();
    });

    await t.test('overwriting with penguins.csv is refused with its drift, then overridden with a reason', async () => {
      await preview(page, { name: 'penguins', file: 'penguins.csv', overwrite: true });
      const plan = page.locator('#plan');
      assert.match(await plan.textContent(), /would be refused/);
      assert.match(await plan.textContent(), /breaking schema drift refused by the `reject` policy/);
      // The one table of penguins.csv is matched to the one table of version 1, so the drift
      // is that table's columns, not a table removed and another added.
      assert.match(await plan.textContent(), /table `penguins-raw`: column `studyName` \(Utf8\) removed/);
      assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled(), true);
      await shot(page, 'upload-refused');
      await page.getByLabel('To accept it, give a reason').fill('cleaned table replaces the raw export');
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.locator('#plan').getByText('A new version 2 of penguins').waitFor();
      assert.match(await page.locator('#plan').textContent(), /cleaned table replaces the raw export/);
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.locator('#upload-result').getByText('penguins version 2 added').waitFor();
    });

    await t.test('the history shows both versions, the second active', async () => {
      await page.goto(`${url}/#/datasets/penguins`);
      await page.locator('#timeline li').nth(1).waitFor();
      assert.equal(await page.locator('#timeline li.version').count(), 2);
      assert.equal(await page.locator('#timeline li.active').getAttribute('data-version'), '2');
      assert.match(await page.locator('#timeline li[data-version="2"]').textContent(), /override: cleaned table/);
      assert.match(await page.locator('#timeline li[data-version="2"]').textContent(), new RegExp(env('E2E_USER')));
      await shot(page, 'dataset');
    });

    await t.test('a rollback cancelled changes nothing; confirmed with a reason, it makes version 1 active', async () => {
      await page.getByRole('button', { name: 'Roll back to v1' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Compatibility warnings').waitFor();
      assert.match(await dialog.textContent(), /column `species` \(Utf8\) of table `penguins-raw` does not exist in version 1/);
      await shot(page, 'rollback');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      const active = await page.evaluate(async () => (await (await fetch('/api/datasets')).json())[0].active_version);
      assert.equal(active, 2, 'cancel changed nothing');

      await page.getByRole('button', { name: 'Roll back to v1' }).click();
      await dialog.getByText('Compatibility warnings').waitFor();
      await dialog.getByLabel('Reason').fill('the cleaned table drops the raw columns auditors need');
      await dialog.getByRole('button', { name: 'Roll back' }).click();
      await page.getByText('Rolled back penguins from version 2 to version 1').waitFor();
      await page.locator('#timeline li.active[data-version="1"]').waitFor();
    });

    await t.test('the event log shows an upload made by another process without reloading', async () => {
      await page.goto(`${url}/#/events`);
      await page.locator('#live-status.on').waitFor();
      const rowsBefore = await page.locator('#events tbody tr').count();
      execFileSync(env('STRATA_BIN'), ['--store', env('STRATA_STORE'), 'upload', 'weather',
        join(data, 'seattle-weather.csv'), '--actor', 'someone-else', '--note', 'from the command line']);
      const row = page.locator('#events tbody tr.new', { hasText: 'weather' });
      await row.waitFor({ timeout: 15000 });
      assert.match(await row.textContent(), /someone-else/);
      // The OS account of the process that recorded it, beside the actor it was given.
      const os = userInfo().username;
      assert.equal(await row.locator('.os-account').textContent(), `(os ${os})`);
      assert.equal(await page.locator('#events tbody tr').count(), rowsBefore + 1);
      await shot(page, 'events');
    });

    await t.test('a downloaded table has the exact bytes that were uploaded', async () => {
      await page.goto(`${url}/#/datasets/penguins`);
      const item = page.locator('#timeline li[data-version="1"]');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        item.getByRole('link', { name: 'Download penguins-raw' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'penguins-v1-penguins-raw.csv');
      const got = readFileSync(await download.path());
      assert.ok(got.equals(readFileSync(join(data, 'penguins-raw.csv'))), 'the bytes differ');
    });

    await t.test('markup in a dataset name is shown as text, never run', async () => {
      const name = '<img src=x onerror=alert(1)>';
      execFileSync(env('STRATA_BIN'), ['--store', env('STRATA_STORE'), 'upload', name, join(data, 'stocks.csv')]);
      // The server catches up with other processes' writes within its poll interval.
      for (let i = 0; ; i += 1) {
        const seen = await page.evaluate(async (n) => (await (await fetch('/api/datasets')).json())
          .some((d) => d.name === n), name);
        if (seen) break;
        assert.ok(i < 100, 'the server did not see the other process\'s upload within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await page.goto(`${url}/#/datasets`);
      await page.getByRole('link', { name }).waitFor();
      assert.equal(await page.locator('#datasets img').count(), 0);
      await page.getByLabel('Filter').fill('peng');
      assert.equal(await page.locator('#datasets tbody tr:not([hidden])').count(), 1);
      await page.getByLabel('Filter').fill('');
      await shot(page, 'datasets');
    });

    await t.test('the version, compare and verify pages show what the library reports', async () => {
      await page.goto(`${url}/#/datasets/penguins/versions/2`);
      await page.getByRole('heading', { name: /penguins · version 2/ }).waitFor();
      assert.match(await page.locator('main').textContent(), /Schema fingerprint/);
      assert.match(await page.locator('main').textContent(), /bill_length_mm/);
      await shot(page, 'version');

      await page.goto(`${url}/#/datasets/penguins/compare?from=1&to=2`);
      await page.getByRole('heading', { name: /version 1 → version 2/ }).waitFor();
      assert.match(await page.locator('main').textContent(), /breaking/);
      await shot(page, 'compare');

      await page.goto(`${url}/#/verify`);
      await page.getByLabel(/Deep/).check();
      await page.getByRole('button', { name: 'Verify the store' }).click();
      await page.locator('#verify-result').getByText('Verify: ok.').waitFor();
      assert.match(await page.locator('#figures').textContent(), /Versions\s*4/);
      await shot(page, 'verify');
    });

    await t.test('the page is readable on a tablet', async () => {
      await page.setViewportSize({ width: 768, height: 1024 });
      await page.goto(`${url}/#/datasets/penguins`);
      await page.locator('#timeline li').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a tablet`);
      await shot(page, 'dataset-tablet');
    });

    assert.deepEqual(failures, [], 'the pages logged no errors');
    assert.deepEqual(foreignRequests, [], 'the pages fetched nothing but the server');
  } finally {
    await context.close();
  }
});

test('an auditor (reader) sees everything but cannot upload or roll back', async () => {
  const context = await launch(`${env('E2E_PROFILE')}-reader`);
  const page = context.pages()[0] || await context.newPage();
  try {
    await logIn(page, env('E2E_READER'), env('E2E_READER_PASSWORD'));
    await page.goto(`${url}/#/datasets/penguins`);
    await page.locator('#timeline li').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Roll back/ }).count(), 0);
    await page.goto(`${url}/#/upload`);
    await page.getByText('cannot upload').waitFor();
    const status = await page.evaluate(async () => {
      const form = new FormData();
      form.append('dataset', 'x');
      form.append('file', new Blob(['a\n1\n']), 'x.csv');
      return (await fetch('/api/uploads', { method: 'POST', body: form })).status;
    });
    assert.equal(status, 403, 'an upload without the CSRF token and role is refused');
  } finally {
    await context.close();
  }
});
