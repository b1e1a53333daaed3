import { expect, type Locator, type Page } from '@playwright/test';
import { showView } from './train-page';

/** "81.3%" → 0.813; anything else (e.g. "—") → NaN. */
export function parsePercent(text: string | null): number {
  const match = /^\s*(\d+(?:\.\d+)?)%\s*$/.exec(text ?? '');
  return match ? Number(match[1]) / 100 : Number.NaN;
}

/** The Experiments view: every run of the project, newest first. */
export class ExperimentsPage {
  readonly list: Locator;
  readonly rows: Locator;
  readonly empty: Locator;

  constructor(readonly page: Page) {
    this.list = page.getByTestId('experiment-list');
    this.rows = page.getByTestId('experiment-row');
    this.empty = page.getByTestId('experiments-empty');
  }

  async show(): Promise<void> {
    await showView(this.page, 'experiments');
    await expect(this.list.or(this.empty)).toBeVisible();
  }

  row(experimentId: string): Locator {
    return this.page.locator(`[data-testid="experiment-row"][data-id=${JSON.stringify(experimentId)}]`);
  }

  /** The id of the newest run (the first row). */
  async latestId(): Promise<string> {
    await expect(this.rows.first()).toBeVisible();
    const id = await this.rows.first().getAttribute('data-id');
    expect(id, 'the run has an id').toMatch(/^\d+$/);
    return id!;
  }

  /** The run's validation accuracy as a fraction, read from its row. */
  async valAccuracy(experimentId: string): Promise<number> {
    const cell = this.row(experimentId).getByTestId('experiment-accuracy');
    await expect(cell).toHaveText(/^\s*\d+(\.\d+)?%\s*$/);
    return parsePercent(await cell.textContent());
  }

  async expectStatus(experimentId: string, status: string): Promise<void> {
    const badge = this.row(experimentId).getByTestId('experiment-status');
    await expect(badge).toHaveAttribute('data-status', status);
    await expect(badge).toHaveText(status);
  }

  async openEvaluation(experimentId: string): Promise<void> {
    await this.row(experimentId).getByTestId('experiment-open').click();
    await expect(this.page.getByTestId('nav-evaluate')).toHaveAttribute('aria-current', 'page');
  }

  async openExport(experimentId: string): Promise<void> {
    const button = this.row(experimentId).getByTestId('experiment-export');
    await expect(button).toBeEnabled();
    await button.click();
    await expect(this.page.getByTestId('nav-export')).toHaveAttribute('aria-current', 'page');
  }
}
