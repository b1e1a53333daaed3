import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../common/contract';
import { startTestApp } from '../test-utils';
import ImportProgress from './ImportProgress.svelte';

const SUMMARY: ImportSummary = {
  jobId: 1,
  folderId: 1,
  status: 'finished',
  scanned: 1,
  added: 1,
  updated: 0,
  unchanged: 0,
  duplicates: 0,
  unreadable: 0,
  missing: 0,
  labelled: 0,
  skipped: [
    { relPath: 'zero.jpg', code: 'NOT_REGULAR_FILE', message: 'This link leads to a device, not a regular file.' },
    {
      relPath: 'dangling.jpg',
      code: 'DANGLING_LINK',
      message: 'This symbolic link points to something that does not exist.',
    },
  ],
  skippedTotal: 3,
  hidden: 2,
  labelNote: null,
  conflicts: 0,
  seconds: 1,
  error: null,
};

describe('the import summary of entries not read as photos', () => {
  it('counts them and hidden files, and lists each with its reason on request', async () => {
    const app = await startTestApp({ projects: [{ name: 'Pets', opened: true }] });
    const noop = () => {};
    render(ImportProgress, {
      props: { projectId: app.session.project!.id, progress: null, summary: SUMMARY, oncancel: noop, ondismiss: noop },
      context: app.context,
    });
    expect(screen.getByTestId('import-hidden').textContent).toBe('2 hidden files left out');
    expect(screen.queryByTestId('skipped-list')).toBeNull();

    await fireEvent.click(screen.getByTestId('import-skipped'));

    const rows = screen.getAllByTestId('skipped-entry');
    expect(rows.map((r) => [r.dataset.code, r.textContent])).toEqual([
      ['NOT_REGULAR_FILE', 'zero.jpg — This link leads to a device, not a regular file.'],
      ['DANGLING_LINK', 'dangling.jpg — This symbolic link points to something that does not exist.'],
    ]);
    expect(screen.getByTestId('skipped-more').textContent).toBe('and 1 more not listed here.');
  });
});
