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

async function showSummary(summary: ImportSummary) {
  const app = await startTestApp({ projects: [{ name: 'Pets', opened: true }] });
  const noop = () => {};
  render(ImportProgress, {
    props: { projectId: app.session.project!.id, progress: null, summary, oncancel: noop, ondismiss: noop },
    context: app.context,
  });
  return app;
}

describe('the import summary', () => {
  it('says how many photos sit in more than one class folder and why nothing was labelled, and names them on request', async () => {
    const app = await showSummary(SUMMARY);
    expect(screen.getByTestId('import-conflicts').textContent).toMatch(
      /4 photos appear in more than one class\s+folder/,
    );
    expect(screen.getByTestId('import-label-note').textContent).toBe(SUMMARY.labelNote);

    await fireEvent.click(screen.getByTestId('import-name-copies'));
    await screen.findByTestId('same-content');
    expect(app.api.argsOf('labels:conflicts')).toHaveLength(1);
    expect(app.api.argsOf('images:duplicates')).toHaveLength(1);
  });

  it('counts what was not read as photos and hidden files, and lists each with its reason on request', async () => {
    await showSummary({
      ...SUMMARY,
      skipped: [
        { relPath: 'zero.jpg', code: 'NOT_REGULAR_FILE', message: 'This link leads to a device, not a regular file.' },
        {
          relPath: 'gone.jpg',
          code: 'DANGLING_LINK',
          message: 'This symbolic link points to something that does not exist.',
        },
      ],
      skippedTotal: 3,
      hidden: 2,
    });
    expect(screen.getByTestId('import-hidden').textContent).toBe('2 hidden files left out');
    expect(screen.queryByTestId('skipped-list')).toBeNull();

    await fireEvent.click(screen.getByTestId('import-skipped'));

    expect(screen.getAllByTestId('skipped-entry').map((r) => [r.dataset.code, r.textContent])).toEqual([
      ['NOT_REGULAR_FILE', 'zero.jpg — This link leads to a device, not a regular file.'],
      ['DANGLING_LINK', 'gone.jpg — This symbolic link points to something that does not exist.'],
    ]);
    expect(screen.getByTestId('skipped-more').textContent).toBe('and 1 more not listed here.');
  });
});
