import { expect, type Locator, type Page } from '@playwright/test';
import { showView } from './train-page';

/** One confusion-matrix cell as the page shows it. */
export interface MatrixCell {
  trueClassId: string;
  predictedClassId: string;
  count: number;
}

/** The Evaluate view: one run's scores, confusion matrix, its cells' photos and the run's facts. */
export class EvaluatePage {
  readonly runSelect: Locator;
  readonly report: Locator;
  readonly accuracy: Locator;
  readonly macroF1: Locator;
  readonly logLoss: Locator;
  readonly matrix: Locator;
  readonly cells: Locator;
  readonly cellPhotos: Locator;
  readonly cellPhotoItems: Locator;
  readonly snapshot: Locator;

  constructor(readonly page: Page) {
    this.runSelect = page.getByTestId('eval-run');
    this.report = page.getByTestId('evaluation');
    this.accuracy = page.getByTestId('eval-accuracy');
    this.macroF1 = page.getByTestId('eval-macro-f1');
    this.logLoss = page.getByTestId('eval-log-loss');
    this.matrix = page.getByTestId('confusion-matrix');
    this.cells = this.matrix.getByTestId('confusion-cell');
    this.cellPhotos = page.getByTestId('cell-photos');
    this.cellPhotoItems = this.cellPhotos.getByTestId('cell-photo');
    this.snapshot = page.getByTestId('eval-snapshot');
  }

  async show(): Promise<void> {
    await showView(this.page, 'evaluate');
  }

  /** Waits until the report of the given run is shown with its results. */
  async expectRun(experimentId: string): Promise<void> {
    await expect(this.report).toHaveAttribute('data-id', experimentId);
    await expect(this.runSelect).toHaveValue(experimentId);
    await expect(this.matrix).toBeVisible();
  }

  /** Every cell of the matrix, row by row (true class), column by column (predicted). */
  async matrixCells(): Promise<MatrixCell[]> {
    return this.cells.evaluateAll((elements) =>
      elements.map((el) => {
        const cell = el as unknown as { dataset: Record<string, string>; textContent: string | null };
        return {
          trueClassId: cell.dataset.true,
          predictedClassId: cell.dataset.predicted,
          count: Number((cell.textContent ?? '').replace(/[^\d]/g, '')),
        };
      }),
    );
  }

  cell(trueClassId: string, predictedClassId: string): Locator {
    return this.matrix.locator(
      `[data-testid="confusion-cell"][data-true=${JSON.stringify(trueClassId)}][data-predicted=${JSON.stringify(predictedClassId)}]`,
    );
  }

  /** The number of photos per split in the run's dataset snapshot (summed over classes). */
  async snapshotCounts(): Promise<{ train: number; val: number; test: number }> {
    const rows = this.snapshot.locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    const perRow = await rows.evaluateAll((elements) =>
      elements.map((el) => {
        const row = el as unknown as { querySelectorAll(s: string): Iterable<{ textContent: string | null }> };
        return [...row.querySelectorAll('td')].map((td) => Number((td.textContent ?? '').replace(/[^\d]/g, '')));
      }),
    );
    const sum = (column: number) => perRow.reduce((total, cells) => total + cells[column], 0);
    return { train: sum(0), val: sum(1), test: sum(2) };
  }

  /** Clicks a cell; its photos are listed under the matrix. */
  async openCell(cell: MatrixCell): Promise<void> {
    const button = this.cell(cell.trueClassId, cell.predictedClassId);
    await expect(button).toBeEnabled();
    await button.click();
    await expect(button).toHaveAttribute('aria-pressed', 'true');
    await expect(this.cellPhotos).toBeVisible();
  }
}
