// A browser tab opened on the host without its token (or with an earlier run's) shows a locked
// screen that says which link to open, never an empty app that looks as if every project were lost.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type HostProcess, startHostProcess } from '../fixtures/host-process';
import { writeLabelledFolder } from '../fixtures/photo-corpus';

/** The fields this spec reads from the calls it makes. */
type Reply = { id: number; view: { pickerId: string }; folder: { id: number } };

let dir: string;
let host: HostProcess;

test.beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-locked-'));
  host = await startHostProcess(path.join(dir, 'data'), dir);
});

test.afterEach(async () => {
  await host.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a tab without the token is locked and says to open the printed link; the link opens the app', async ({
  page,
}) => {
  const bare = host.url.replace(/#.*$/, '');

  await test.step('no token: the locked screen, nothing to click', async () => {
    await page.goto(bare);
    const locked = page.getByTestId('locked-screen');
    await expect(locked).toContainText('the link Graft printed in its terminal when it started');
    await expect(locked).toContainText('#token=');
    await expect(page.getByTestId('nav-projects')).toHaveCount(0);
    await expect(page.getByRole('button')).toHaveCount(0);
  });

  await test.step('a wrong token: locked as well', async () => {
    await page.goto('about:blank');
    await page.goto(`${bare}#token=from-an-earlier-run`);
    await expect(page.getByTestId('locked-screen')).toBeVisible();
  });

  await test.step('the printed link: the app, and the API still refuses a token in the URL', async () => {
    await page.goto('about:blank');
    await page.goto(host.url);
    await expect(page.getByTestId('nav-projects')).toBeVisible();
    await expect(page.getByTestId('locked-screen')).toHaveCount(0);
    const token = new URL(host.url).hash.replace('#token=', '');
    const status = await page.evaluate(
      async (t) => (await fetch(`/api/projects:list?t=${encodeURIComponent(t)}`, { method: 'POST' })).status,
      token,
    );
    expect(status).toBe(401);
  });

  await test.step('thumbnails load by the media cookie, with no token in any image URL', async () => {
    await writeLabelledFolder(path.join(dir, 'photos'), { a: 2, b: 2 });
    await page.evaluate(
      async (token) => {
        const call = async (name: string, args: object) => {
          const res = await fetch(`/api/${name}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-graft-token': token },
            body: JSON.stringify(args),
          });
          return ((await res.json()) as { value: Reply }).value;
        };
        const project = await call('projects:create', { name: 'Media' });
        const pick = await call('folders:pick', { projectId: project.id, labelsFromSubfolders: true });
        await call('picker:enter', { pickerId: pick.view.pickerId, name: 'photos' });
        const chosen = await call('picker:choose', { pickerId: pick.view.pickerId });
        await call('import:start', { folderId: chosen.folder.id });
        while ((await call('import:last', { folderId: chosen.folder.id })) === null) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await call('projects:open', { projectId: project.id });
      },
      new URL(host.url).hash.replace('#token=', ''),
    );
    await page.reload();
    const thumbs = page.locator('[data-testid="thumb"] img');
    await expect(thumbs).toHaveCount(4);
    await expect
      .poll(() =>
        thumbs.evaluateAll((imgs) => imgs.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0)),
      )
      .toEqual([true, true, true, true]);
    const sources = await thumbs.evaluateAll((imgs) => imgs.map((img) => (img as unknown as { src: string }).src));
    for (const src of sources) expect(src).toMatch(/\/media\/\d+\/thumb$/);
  });
});
