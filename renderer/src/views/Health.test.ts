import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { HealthFinding } from '../../../common/health';
import { startTestApp } from '../test-utils';
import Health from './Health.svelte';

const photo = (imageId: number, relPath: string, split: 'train' | 'val') => ({
  imageId,
  relPath,
  classId: 1,
  className: 'cats',
  split,
});

const LEAK: HealthFinding = {
  key: 'leakage:1,4',
  kind: 'leakage',
  severity: 'error',
  title: '2 near copies in training and val',
  detail: 'Leakage.',
  photos: [photo(1, 'train/cats/a.jpg', 'train'), photo(4, 'val/cats/a-copy.jpg', 'val')],
  fixes: ['move-split', 'exclude', 'relabel', 'keep'],
  suggestedClassId: null,
  moveTo: { imageIds: [4], split: 'train' },
  conflictId: null,
};
const TINY: HealthFinding = {
  ...LEAK,
  key: 'odd-photo:2',
  kind: 'odd-photo',
  severity: 'info',
  title: 'tiny.jpg is only 40×30 pixels',
  photos: [photo(2, 'train/cats/tiny.jpg', 'train')],
  fixes: ['exclude', 'keep'],
  moveTo: null,
};

async function openHealth() {
  const app = await startTestApp({
    projects: [{ name: 'Pets', classes: ['cats', 'dogs'], photos: 6, labels: { 0: 'cats', 1: 'dogs' }, opened: true }],
    healthFindings: { Pets: [LEAK, TINY] },
  });
  render(Health, { props: { session: app.session }, context: app.context });
  await screen.findAllByTestId('health-finding');
  return app;
}

const findings = () => screen.queryAllByTestId('health-finding');

describe('Health', () => {
  it('lists each finding with its photos and fixes', async () => {
    await openHealth();
    expect(findings().map((f) => f.dataset.kind)).toEqual(['leakage', 'odd-photo']);
    const leak = within(findings()[0]);
    expect(leak.getAllByTestId('health-photo').map((p) => p.textContent)).toEqual([
      expect.stringContaining('train/cats/a.jpg'),
      expect.stringContaining('val/cats/a-copy.jpg'),
    ]);
    expect(leak.getByTestId('health-fix-move-split').textContent?.trim()).toBe('Move to train');
  });

  it('says findings so far cover only checked photos until a check has run, then that all are checked', async () => {
    await openHealth();
    const summary = () => screen.getByTestId('health-summary').textContent?.replace(/\s+/g, ' ').trim();
    expect(summary()).toBe('2 labelled photos, 0 checked · 2 findings so far');
    expect(screen.getByTestId('health-missing').textContent?.replace(/\s+/g, ' ')).toMatch(
      /^\s*None of the 2 photos is checked yet for near copies, doubted labels and outliers, so findings of those kinds cover only checked photos/,
    );
    await fireEvent.click(screen.getByTestId('health-check'));
    await waitFor(() => expect(summary()).toBe('2 labelled photos, all checked · 2 findings'));
    expect(screen.queryByTestId('health-missing')).toBeNull();
  });

  it('move split sends the held-out copy to train; exclude and keep go to the health calls and the finding goes', async () => {
    const { api } = await openHealth();
    await fireEvent.click(within(findings()[0]).getByTestId('health-fix-move-split'));
    await waitFor(() => expect(api.argsOf('splits:set')).toHaveLength(1));
    expect(api.argsOf('splits:set')[0]).toMatchObject({ imageIds: [4], split: 'train' });

    await fireEvent.click(within(findings()[0]).getByTestId('health-fix-exclude'));
    await waitFor(() => expect(findings().map((f) => f.dataset.kind)).toEqual(['odd-photo']));
    expect(api.argsOf('health:exclude')[0]).toMatchObject({ imageIds: [4], excluded: true });

    await fireEvent.click(within(findings()[0]).getByTestId('health-fix-keep'));
    await screen.findByTestId('health-clean');
    expect(api.argsOf('health:keep')[0]).toMatchObject({ findingKey: 'odd-photo:2' });
  });

  it('opens a finding’s photo in the large viewer, where a class key relabels it and Escape closes it', async () => {
    // The fake serves the findings it is given by reference, so one can name the fake's own photos.
    const served: Record<string, HealthFinding[]> = { Pets: [] };
    const app = await startTestApp({
      projects: [
        { name: 'Pets', classes: ['cats', 'dogs'], photos: 6, labels: { 0: 'cats', 1: 'dogs' }, opened: true },
      ],
      healthFindings: served,
    });
    const projectId = app.session.project!.id;
    const [a, b] = await app.api.call('images:list', { projectId, filter: { kind: 'all' } });
    served.Pets.push({
      ...LEAK,
      photos: [photo(a.id, 'train/cats/a.jpg', 'train'), photo(b.id, 'val/cats/b.jpg', 'val')],
    });
    render(Health, { props: { session: app.session }, context: app.context });
    const [finding] = await screen.findAllByTestId('health-finding');
    await fireEvent.click(within(finding).getAllByTestId('health-photo-open')[1]);
    const viewer = await screen.findByTestId('photo-viewer');
    expect(viewer.dataset.imageId).toBe(String(b.id));
    expect(screen.getByTestId('viewer-caption').textContent).toBe(LEAK.title);
    await waitFor(() => expect(screen.getByTestId('viewer-name').textContent).not.toBe('…'));
    await fireEvent.keyDown(viewer, { key: '2' });
    await waitFor(() => expect(app.api.argsOf('labels:assign')).toHaveLength(1));
    expect(app.api.argsOf('labels:assign')[0]).toMatchObject({ imageIds: [b.id] });
    await fireEvent.keyDown(viewer, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('photo-viewer')).toBeNull());
  });
});
