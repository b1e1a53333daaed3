import { expect, type Locator, type Page } from '@playwright/test';
import { showView } from './train-page';

/** The Predict view: choose a model, give it photos from outside the project, read its answers. */
export class PredictPage {
  readonly modelSelect: Locator;
  readonly empty: Locator;
  readonly fileInput: Locator;
  readonly results: Locator;

  constructor(readonly page: Page) {
    this.modelSelect = page.getByTestId('predict-model');
    this.empty = page.getByTestId('predict-empty');
    this.fileInput = page.getByTestId('predict-file-input');
    this.results = page.getByTestId('predict-result');
  }

  async show(): Promise<void> {
    await showView(this.page, 'predict');
    await expect(this.modelSelect.or(this.empty)).toBeVisible();
  }

  /** Chooses a model by its option value: `experiment:<id>` or `export:<id>`. */
  async chooseModel(value: string): Promise<void> {
    await this.modelSelect.selectOption(value);
    await expect(this.modelSelect).toHaveValue(value);
  }

  /** Hands the files to the "Choose photos…" input, as a user picking them would. */
  async upload(files: string[]): Promise<void> {
    await this.fileInput.setInputFiles(files);
  }

  result(fileName: string): Locator {
    return this.page.locator(`[data-testid="predict-result"][data-name=${JSON.stringify(fileName)}]`);
  }

  /** Waits for the photo's prediction and checks its top-1 class; returns the top-1 confidence in percent. */
  async expectTop(fileName: string, className: string): Promise<number> {
    const card = this.result(fileName);
    await expect(card.getByTestId('predict-top')).toHaveText(className, { timeout: 30_000 });
    await expect(card.getByTestId('predict-error')).toHaveCount(0);
    const meter = card.getByRole('meter', { name: `Confidence in ${className}` });
    const value = Number(await meter.getAttribute('aria-valuenow'));
    expect(value, `confidence of ${fileName}`).toBeGreaterThan(0);
    return value;
  }

  /** Every class's confidence for a photo, in percent as its bars announce them (0.1 % steps). */
  async confidences(fileName: string): Promise<Record<string, number>> {
    const card = this.result(fileName);
    await expect(card.getByTestId('predict-top')).toBeVisible({ timeout: 30_000 });
    const pairs = await card
      .getByRole('meter')
      .evaluateAll((meters) =>
        meters.map((m) => [m.getAttribute('aria-label') ?? '', Number(m.getAttribute('aria-valuenow'))] as const),
      );
    return Object.fromEntries(pairs.map(([label, value]) => [label.replace(/^Confidence in /, ''), value]));
  }

  /** Each bar of a photo as drawn: the confidence it announces (0-1), its filled share, its track's width in px. */
  async bars(fileName: string): Promise<{ confidence: number; filled: number; trackPx: number }[]> {
    const card = this.result(fileName);
    await expect(card.getByTestId('predict-top')).toBeVisible({ timeout: 30_000 });
    return card.getByRole('meter').evaluateAll((meters) =>
      meters.map((m) => {
        const track = m.getBoundingClientRect().width;
        const fill = m.firstElementChild?.getBoundingClientRect().width ?? 0;
        return {
          confidence: Number(m.getAttribute('aria-valuenow')) / 100,
          filled: track > 0 ? fill / track : 0,
          trackPx: track,
        };
      }),
    );
  }

  async expectError(fileName: string, message: RegExp): Promise<void> {
    const card = this.result(fileName);
    await expect(card.getByTestId('predict-error')).toHaveText(message, { timeout: 30_000 });
    await expect(card.getByTestId('predict-top')).toHaveCount(0);
  }
}
