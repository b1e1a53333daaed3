import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Id } from '../../../common/contract';
import type { TrainConfig } from '../../../common/training';
import { pickLocation, startTestApp } from '../test-utils';
import { exportToEnd, petsProject, trainToEnd } from '../training-test-utils';
import Export from './Export.svelte';

const DISK = { name: '/home/ana', children: [{ name: 'models', children: [{ name: 'existing' }] }] };

async function openExport(config: Partial<TrainConfig> = {}) {
  const app = await startTestApp({ disk: DISK, projects: [petsProject()], jobStepMs: 20 });
  const experimentId = await trainToEnd(app.api, app.session.project!.id, config);
  render(Export, { props: { session: app.session }, context: app.context });
  await waitFor(() => expect(input('export-format-onnx').disabled).toBe(false));
  return { ...app, experimentId };
}

const input = (testid: string) => screen.getByTestId(testid) as HTMLInputElement;
const rows = () => screen.queryAllByTestId('export-row');

async function exportInto(folderName: string) {
  await pickLocation('export-pick-location', ['models']);
  await fireEvent.input(input('export-folder-name'), { target: { value: folderName } });
  await fireEvent.click(screen.getByTestId('export-start'));
}

describe('Export', () => {
  it('exports to a chosen folder, shows the export running, then its passed check', async () => {
    const { api, experimentId } = await openExport();
    expect(input('export-format-onnx').checked).toBe(true);
    expect(input('export-folder-name').value).toBe('Run 1-onnx');
    expect((screen.getByTestId('export-start') as HTMLButtonElement).disabled).toBe(true);

    await pickLocation('export-pick-location', ['models']);
    expect(screen.getByTestId('export-location').textContent).toBe('/home/ana/models');
    await fireEvent.click(input('export-raw-input'));
    await fireEvent.click(screen.getByTestId('export-start'));

    expect(api.argsOf('exports:start')).toEqual([
      {
        experimentId,
        format: 'onnx',
        location: expect.any(String),
        folderName: 'Run 1-onnx',
        rawInput: true,
        overwrite: false,
      },
    ]);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0].dataset.status).toBe('running');
    expect(rows()[0].textContent).toContain('/home/ana/models/Run 1-onnx');

    await waitFor(() => expect(rows()[0].dataset.status).toBe('passed'));
    const parity = within(rows()[0]).getByTestId('export-parity');
    expect(parity.dataset.passed).toBe('true');
    expect(parity.textContent).toMatch(
      /Matches Graft.*\d+ photos checked.*top-1 agreement 100\.0%.*max \|Δp\| 1\.2e-7/s,
    );
    expect(within(parity).getByTestId('export-parity-max-diff').title).toMatch(
      /^max \|Δp\|: the largest difference between the exported file’s and Graft’s probability/,
    );
  });

  it('shows a failed check as failed, with its message', async () => {
    await openExport();
    await exportInto('fail-me');

    await waitFor(() => expect(rows()[0]?.dataset.status).toBe('failed'));
    const parity = within(rows()[0]).getByTestId('export-parity');
    expect(parity.dataset.passed).toBe('false');
    expect(parity.textContent).toContain('Does not match Graft');
    expect(parity.textContent).toContain('top-1 agreement 80.0%');
    expect(parity.textContent).toContain('Do not use it.');
  });

  it('disables TF.js with the reason for a frozen-graph backbone, and offers it for another', async () => {
    await openExport();
    expect(input('export-format-tfjs').disabled).toBe(true);
    const reason = screen.getByTestId('export-unsupported-reason');
    expect(reason.dataset.format).toBe('tfjs');
    expect(reason.textContent).toContain('frozen graph');
  });

  it('offers TF.js when the backbone allows it, naming the folder after the format', async () => {
    await openExport({ backboneId: 'fake-inception' });
    expect(input('export-format-tfjs').disabled).toBe(false);
    expect(screen.queryByTestId('export-unsupported-reason')).toBeNull();

    await fireEvent.click(input('export-format-tfjs'));
    expect(input('export-folder-name').value).toBe('Run 1-tfjs');
  });

  it('offers TF.js for a run fine-tuned on a LayersModel backbone, and says why not for one fine-tuned as a graph', async () => {
    await openExport({ backboneId: 'fake-inception', technique: 'fine-tune' });
    expect(input('export-format-tfjs').disabled).toBe(false);
    expect(screen.queryByTestId('export-unsupported-reason')).toBeNull();
    cleanup();

    await openExport({ technique: 'fine-tune' });
    expect(input('export-format-tfjs').disabled).toBe(true);
    const reason = screen.getByTestId('export-unsupported-reason');
    expect(reason.dataset.format).toBe('tfjs');
    expect(reason.textContent).toMatch(/not a TF\.js LayersModel.*exports as ONNX only/);
  });

  it('asks before replacing an existing folder, and exports again only when allowed', async () => {
    const { api } = await openExport();
    await exportInto('existing');

    const dialog = await screen.findByTestId('export-confirm-overwrite');
    expect(dialog.textContent).toContain('existing');
    expect(dialog.textContent).toContain('model.onnx, labels.json, MODEL_CARD.md');
    expect(rows()).toHaveLength(0);
    await fireEvent.click(within(dialog).getByTestId('confirm-cancel'));
    expect(screen.queryByTestId('export-confirm-overwrite')).toBeNull();
    expect(api.argsOf('exports:start')).toHaveLength(1);

    await fireEvent.click(screen.getByTestId('export-start'));
    await fireEvent.click(within(await screen.findByTestId('export-confirm-overwrite')).getByTestId('confirm-accept'));

    await waitFor(() => expect(rows()[0]?.dataset.status).toBe('passed'));
    expect(api.argsOf('exports:start').map((a) => [a.folderName, a.overwrite])).toEqual([
      ['existing', false],
      ['existing', false],
      ['existing', true],
    ]);
    expect(screen.queryByTestId('notice')).toBeNull();
  });

  it('exporting again into the same folder replaces its row in the history', async () => {
    await openExport();
    await exportInto('again');
    await waitFor(() => expect(rows()[0]?.dataset.status).toBe('passed'));
    const first = rows()[0].dataset.id;

    await fireEvent.click(screen.getByTestId('export-start'));
    await fireEvent.click(within(await screen.findByTestId('export-confirm-overwrite')).getByTestId('confirm-accept'));

    await waitFor(() => expect(rows()[0]?.dataset.id).not.toBe(first));
    await waitFor(() => expect(rows()[0].dataset.status).toBe('passed'));
    expect(rows()).toHaveLength(1);
    expect(rows()[0].textContent).toContain('/home/ana/models/again');
  });

  it('rejects a path as the folder name', async () => {
    await openExport();
    await pickLocation('export-pick-location', ['models']);
    await fireEvent.input(input('export-folder-name'), { target: { value: 'a/b' } });
    expect((screen.getByTestId('export-start') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('A name only, not a path.')).toBeTruthy();
  });

  it('lists the chosen run’s exports with size, date, check and a missing badge', async () => {
    const app = await startTestApp({ disk: DISK, projects: [petsProject()] });
    const projectId = app.session.project!.id;
    const first = await trainToEnd(app.api, projectId, { seed: 1 });
    await trainToEnd(app.api, projectId, { seed: 2 });
    const kept = await exportToEnd(app.api, first, 'kept');
    const gone = await exportToEnd(app.api, first, 'gone');
    app.api.deleteExportFiles(gone.id);
    app.session.exportModel(first);

    render(Export, { props: { session: app.session }, context: app.context });

    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(input('export-run').value).toBe(String(first));
    const row = (id: Id) => rows().find((r) => r.dataset.id === String(id))!;
    expect(row(kept.id).textContent).toContain('/home/ana/kept');
    expect(row(kept.id).textContent).toContain('ONNX');
    expect(row(kept.id).textContent).toContain('9.0 MB');
    expect(within(row(kept.id)).queryByTestId('export-missing')).toBeNull();
    expect(within(row(gone.id)).getByTestId('export-missing').textContent).toBe('missing');
  });
});
