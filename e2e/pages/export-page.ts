import { expect, type Locator, type Page } from '@playwright/test';
import { FolderPickerDialog } from './library-page';
import { showView } from './train-page';

/** The Export view: format, destination (through the host's folder picker), folder name, history. */
export class ExportPage {
  readonly runSelect: Locator;
  readonly formatOnnx: Locator;
  readonly formatTfjs: Locator;
  readonly pickLocationButton: Locator;
  readonly location: Locator;
  readonly folderName: Locator;
  readonly startButton: Locator;
  readonly rows: Locator;
  readonly picker: FolderPickerDialog;

  constructor(readonly page: Page) {
    this.runSelect = page.getByTestId('export-run');
    this.formatOnnx = page.getByTestId('export-format-onnx');
    this.formatTfjs = page.getByTestId('export-format-tfjs');
    this.pickLocationButton = page.getByTestId('export-pick-location');
    this.location = page.getByTestId('export-location');
    this.folderName = page.getByTestId('export-folder-name');
    this.startButton = page.getByTestId('export-start');
    this.rows = page.getByTestId('export-row');
    this.picker = new FolderPickerDialog(page);
  }

  async show(): Promise<void> {
    await showView(this.page, 'export');
  }

  async expectRun(experimentId: string): Promise<void> {
    await expect(this.runSelect).toHaveValue(experimentId);
  }

  async chooseFormat(format: 'onnx' | 'tfjs'): Promise<void> {
    const radio = format === 'onnx' ? this.formatOnnx : this.formatTfjs;
    await expect(radio).toBeEnabled();
    await radio.check();
    await expect(radio).toBeChecked();
  }

  /**
   * Opens the destination picker, checks it starts at `start`, walks down by folder names and
   * chooses the folder it arrives in ("Export here").
   */
  async pickLocation(start: string, folderNames: string[]): Promise<void> {
    await this.pickLocationButton.click();
    await expect(this.picker.root).toBeVisible();
    await expect(this.picker.path).toHaveText(start);
    await expect(this.picker.chooseButton).toHaveText('Export here');
    for (const name of folderNames) await this.picker.enter(name);
    await this.picker.choose();
  }

  async setFolderName(name: string): Promise<void> {
    await this.folderName.fill(name);
    await expect(this.folderName).toHaveValue(name);
    await expect(this.folderName).toHaveAttribute('aria-invalid', 'false');
  }

  /** Starts the export; returns the id of the new export's row (the highlighted, newest one). */
  async start(): Promise<string> {
    const before = await this.rows.count();
    await expect(this.startButton).toBeEnabled();
    await this.startButton.click();
    await expect(this.rows).toHaveCount(before + 1);
    const id = await this.rows.first().getAttribute('data-id');
    expect(id, 'the export has an id').toMatch(/^\d+$/);
    return id!;
  }

  /**
   * Starts an export into a folder that already holds one: confirms replacing it and returns the
   * id of the new export's row.
   */
  async startReplacing(): Promise<string> {
    const before = await this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    await expect(this.startButton).toBeEnabled();
    await this.startButton.click();
    const dialog = this.page.getByTestId('export-confirm-overwrite');
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('confirm-accept').click();
    await expect(dialog).toHaveCount(0);
    await expect(this.rows.first()).not.toHaveAttribute('data-id', before[0] ?? '');
    const id = await this.rows.first().getAttribute('data-id');
    expect(before, 'the replacing export has a row of its own').not.toContain(id);
    return id!;
  }

  /** The history rows whose folder is `folder`. */
  rowsIn(folder: string): Locator {
    return this.rows.filter({
      has: this.page.locator('code.path', { hasText: new RegExp(`^${escapeRegExp(folder)}$`) }),
    });
  }

  row(exportId: string): Locator {
    return this.page.locator(`[data-testid="export-row"][data-id=${JSON.stringify(exportId)}]`);
  }

  parity(exportId: string): Locator {
    return this.row(exportId).getByTestId('export-parity');
  }

  /** Waits until the export was written and its parity check ran. */
  async expectStatus(exportId: string, status: 'passed' | 'failed', timeout = 60_000): Promise<void> {
    await expect(this.row(exportId)).toHaveAttribute('data-status', status, { timeout });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
