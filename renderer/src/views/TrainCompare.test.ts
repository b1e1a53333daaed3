import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test-utils';
import { petsProject } from '../training-test-utils';
import Train from './Train.svelte';

const select = () => screen.getByTestId('backbone-select') as HTMLSelectElement;

describe('Compare backbones in the Train view', () => {
  it('shows the ranked table and picks a backbone from it for the next run', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    render(Train, { props: { session: app.session }, context: app.context });
    await screen.findByTestId('backbone-select');
    expect(select().value).toBe('fake-mobilenet');

    await fireEvent.click(await screen.findByTestId('compare-backbones'));
    const rows = await screen.findAllByTestId('compare-row');
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent?.trim())).toEqual([
      'InceptionV3 299 (fake)',
      'MobileNetV2 224 (fake) (default)',
    ]);
    expect(screen.getByTestId('compare-summary').textContent).toContain('40 labelled photos, 2 classes, 5-fold');
    expect(within(rows[0]).getByText(/^\d+\.\d% ± \d+\.\d%$/)).toBeTruthy();
    expect(within(rows[1]).getByText('Chosen')).toBeTruthy();
    // The panel says whether the ranking means anything, with the same verdict as the CLI.
    expect(screen.getByTestId('compare-verdict').textContent?.trim()).toMatch(
      /leads by more than the spread|within each other's spread|Too few photos/,
    );

    await fireEvent.click(within(rows[0]).getByRole('button', { name: 'Use' }));
    expect(select().value).toBe('fake-inception');
    expect(within(screen.getAllByTestId('compare-row')[0]).getByText('Chosen')).toBeTruthy();
  });

  it('says why it cannot compare when a class has a single photo', async () => {
    const labels: Record<number, string> = { 0: 'dog' };
    for (let i = 1; i < 6; i++) labels[i] = 'cat';
    const app = await startTestApp({
      projects: [{ name: 'Few', classes: ['cat', 'dog'], photos: 6, labels, opened: true }],
    });
    render(Train, { props: { session: app.session }, context: app.context });
    await fireEvent.click(await screen.findByTestId('compare-backbones'));
    await waitFor(() => expect(app.notices.items.map((n) => n.code)).toEqual(['TOO_FEW_PHOTOS']));
    expect(app.notices.items[0].message).toMatch(/at least 2 labelled photos/);
    expect(screen.queryByTestId('compare-table')).toBeNull();
  });
});
