import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../common/contract';
import { startTestApp } from '../test-utils';
import ImportProgress from './ImportProgress.svelte';

const SUMMARY: ImportSummary = {
  jobId: 1,
  folderId: 1,
  status: 'finished',
  scanned: 28,
  added: 24,
  updated: 0,
  unchanged: 0,
  duplicates: 0,
  unreadable: 0,
  missing: 0,
  labelled: 0,
  skipped: [],
  skippedTotal: 0,
  hidden: 0,
  labelNote: 'No photo got a class: the photos sit directly in the chosen folder, not in a class folder below it.',
  conflicts: 4,
  seconds: 1,
  error: null,
};

describe('the import summary', () => {
  it('says how many photos sit in more than one class folder and why nothing was labelled, and names them on request', async () => {
    const app = await startTestApp({ projects: [{ name: 'Pets', opened: true }] });
    const noop = () => {};
    render(ImportProgress, {
      props: { projectId: app.session.project!.id, progress: null, summary: SUMMARY, oncancel: noop, ondismiss: noop },
      context: app.context,
    });
    expect(screen.getByTestId('import-conflicts').textContent).toMatch(
      /4 photos appear in more than one class\s+folder/,
    );
    expect(screen.getByTestId('import-label-note').textContent).toBe(SUMMARY.labelNote);

    await fireEvent.click(screen.getByTestId('import-name-copies'));
    await screen.findByTestId('same-content');
    expect(app.api.argsOf('labels:conflicts')).toHaveLength(1);
    expect(app.api.argsOf('images:duplicates')).toHaveLength(1);
  });
});
